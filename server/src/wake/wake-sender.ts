/**
 * Sends magic packets over UDP to the configured targets. One socket, opened on first use with
 * SO_BROADCAST (a broadcast address is the usual target) and closed with the server.
 */
import dgram from 'node:dgram';
import os from 'node:os';
import { intToIpv4, ipv4ToInt } from '../pxe/pxe-values.ts';
import { magicPacket } from './magic-packet.ts';
import type { WakeTarget, WakeTargets } from './wake-config.ts';
import { WakeOffError } from './wake-errors.ts';

/** The IPv4 broadcast address of an interface in this network namespace. */
export function interfaceBroadcast(iface: string, interfaces = os.networkInterfaces()): string | null {
  const found = interfaces[iface]?.find((a) => a.family === 'IPv4' && !a.internal);
  if (!found) return null;
  const mask = ipv4ToInt(found.netmask);
  return intToIpv4((ipv4ToInt(found.address) | ~mask) >>> 0);
}

export interface WakeSender {
  /** Where packets go now; throws WakeOffError when nowhere. */
  targets(): readonly WakeTarget[];
  /** One packet per MAC to every target; resolves when the kernel took them all. */
  send(macs: readonly string[]): Promise<{ packets: number; targets: readonly WakeTarget[] }>;
  close(): void;
}

export function createWakeSender(config: WakeTargets): WakeSender {
  let socket: Promise<dgram.Socket> | undefined;
  const open = () => {
    socket ??= new Promise<dgram.Socket>((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      s.once('error', reject);
      s.bind(0, () => {
        s.off('error', reject);
        s.setBroadcast(true);
        // Never what keeps the process alive: an idle sender must not delay a shutdown.
        s.unref();
        // A send error goes to its callback; this keeps a stray one from crashing the server.
        s.on('error', () => {});
        resolve(s);
      });
    });
    return socket;
  };

  function targets(): readonly WakeTarget[] {
    if (config.kind === 'off')
      throw new WakeOffError('Wake-on-LAN is off (set BRUME_WOL_TARGETS or BRUME_PXE_INTERFACE)');
    if (config.kind === 'list') return config.targets;
    const address = interfaceBroadcast(config.interface);
    if (!address)
      throw new WakeOffError(`interface ${config.interface} has no IPv4 address to broadcast from`);
    return [{ address, port: config.port }];
  }

  return {
    targets,
    async send(macs) {
      const to = targets();
      const s = await open();
      const packets = macs.map(magicPacket);
      const sends: Promise<void>[] = [];
      for (const packet of packets) {
        for (const t of to) {
          sends.push(
            new Promise((resolve, reject) =>
              s.send(packet, t.port, t.address, (err) => (err ? reject(err) : resolve())),
            ),
          );
        }
      }
      await Promise.all(sends);
      return { packets: sends.length, targets: to };
    },
    close() {
      void socket?.then((s) => s.close()).catch(() => {});
      socket = undefined;
    },
  };
}
