/**
 * The Wake-on-LAN section of the configuration. Brume sends magic packets only where the operator
 * said: `BRUME_WOL_TARGETS` lists IPv4 addresses (broadcast ones, usually) with an optional port;
 * unset, the broadcast address of `BRUME_PXE_INTERFACE` (the network the machines boot on); with
 * neither, or `off`, nothing is sent and a Wake-up task fails saying so.
 */
import { z } from 'zod';
import { isIpv4 } from '../pxe/pxe-values.ts';

export interface WakeTarget {
  readonly address: string;
  readonly port: number;
}

export type WakeTargets =
  | { readonly kind: 'off' }
  | { readonly kind: 'list'; readonly targets: readonly WakeTarget[] }
  /** The broadcast address of this interface, read when a packet is sent (it may come up later). */
  | { readonly kind: 'interface'; readonly interface: string; readonly port: number };

export const WOL_PORT = 9;
const MAX_TARGETS = 16;

function parseTarget(item: string): WakeTarget | string {
  const m = /^([0-9.]+)(?::(\d{1,5}))?$/.exec(item);
  const port = m?.[2] === undefined ? WOL_PORT : Number(m[2]);
  if (!m?.[1] || !isIpv4(m[1]) || port < 1 || port > 65_535) {
    return `"${item.slice(0, 40)}" is not an IPv4 address with an optional :port`;
  }
  return { address: m[1], port };
}

export const wakeSection = z
  .object({
    BRUME_WOL_TARGETS: z.string().trim().optional(),
    // Checked by the PXE section; read here only to aim at its broadcast address.
    BRUME_PXE_INTERFACE: z.string().optional(),
  })
  .transform((e, ctx): { targets: WakeTargets } => {
    const raw = e.BRUME_WOL_TARGETS;
    if (raw === undefined || raw === '') {
      return {
        targets: e.BRUME_PXE_INTERFACE
          ? { kind: 'interface', interface: e.BRUME_PXE_INTERFACE, port: WOL_PORT }
          : { kind: 'off' },
      };
    }
    if (raw === 'off') return { targets: { kind: 'off' } };
    const items = raw.split(',').map((s) => s.trim());
    const targets: WakeTarget[] = [];
    for (const item of items) {
      const parsed = parseTarget(item);
      if (typeof parsed === 'string')
        ctx.addIssue({ code: 'custom', path: ['BRUME_WOL_TARGETS'], message: parsed });
      else targets.push(parsed);
    }
    if (items.length > MAX_TARGETS) {
      ctx.addIssue({
        code: 'custom',
        path: ['BRUME_WOL_TARGETS'],
        message: `at most ${MAX_TARGETS} targets`,
      });
    }
    return { targets: { kind: 'list', targets } };
  });
