import path from 'node:path';
import { z } from 'zod';
import {
  INTERFACE_NAME,
  ipv4ToInt,
  isIpv4,
  isNetmask,
  isSafeUrl,
  KERNEL_ARG,
  LEASE_TIME,
  networkOf,
  SAFE_ABSOLUTE_PATH,
  sameSubnet,
  USER_NAME,
} from './pxe-values.ts';

/**
 * The PXE section of the configuration: a pure function of the flat env record. dnsmasq stays off
 * unless BRUME_PXE_INTERFACE names an interface; the boot-menu settings apply either way (a site
 * may run its own DHCP server and only chain our /boot.ipxe).
 */

export type PxeMode = 'proxy' | 'dhcp';
export type UefiBinary = 'ipxe.efi' | 'snponly.efi';

export interface DhcpRange {
  readonly start: string;
  readonly end: string;
  readonly router: string | null;
  readonly dns: readonly string[];
  readonly leaseTime: string;
}

export interface DnsmasqSettings {
  readonly interface: string;
  readonly mode: PxeMode;
  /** The server's address on that interface; null: read from the interface at start. */
  readonly serverAddress: string | null;
  readonly netmask: string;
  readonly dhcp: DhcpRange | null;
  /** Where dnsmasq.conf and the lease file live (inside the data dir). */
  readonly stateDir: string;
  readonly tftpRoot: string;
  readonly ipxeDir: string;
  readonly uefiBinary: UefiBinary;
  readonly dnsmasqPath: string;
  readonly user: string;
  readonly httpPort: number;
  /** Where to look for dnsmasq when BRUME_PXE_DNSMASQ is a bare name: PATH plus the sbin dirs. */
  readonly searchPath: string;
}

export interface PxeBootSettings {
  readonly menuTimeoutSeconds: number;
  /** Base URL iPXE uses to reach this server; null: the URL the request came in on. */
  readonly publicUrl: string | null;
  readonly kernelUrl: string | null;
  readonly initrdUrl: string | null;
  readonly kernelArgs: readonly string[];
  readonly memtestUrl: string | null;
}

export interface PxeConfig {
  readonly dnsmasq: DnsmasqSettings | null;
  readonly boot: PxeBootSettings;
}

type Env = Readonly<Record<string, string | undefined>>;
type Problem = { readonly name: string; readonly message: string };

/** Reads one variable; an empty string counts as unset (a blank line in an env file). */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

class Reader {
  readonly problems: Problem[] = [];
  readonly env: Env;
  constructor(env: Env) {
    this.env = env;
  }

  text(name: string, rule: (v: string) => boolean, message: string, fallback?: string) {
    const value = read(this.env, name) ?? fallback;
    if (value === undefined) return undefined;
    if (!rule(value))
      this.problems.push({ name, message: `${message} (got ${JSON.stringify(value.slice(0, 80))})` });
    return rule(value) ? value : undefined;
  }

  ipv4(name: string): string | undefined {
    return this.text(name, isIpv4, 'must be a dotted-quad IPv4 address');
  }

  url(name: string): string | null {
    return (
      this.text(name, isSafeUrl, 'must be an http(s) URL without spaces, quotes, commas, # or $') ?? null
    );
  }

  integer(name: string, min: number, max: number, fallback: number): number {
    const raw = read(this.env, name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      this.problems.push({
        name,
        message: `must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw.slice(0, 20))})`,
      });
      return fallback;
    }
    return value;
  }

  add(name: string, message: string): void {
    this.problems.push({ name, message });
  }
}

function readBoot(r: Reader): PxeBootSettings {
  const args = (
    r.text(
      'BRUME_BOOT_KERNEL_ARGS',
      (v) => v.split(/\s+/).every((a) => KERNEL_ARG.test(a)),
      'must be space-separated name or name=value words of [A-Za-z0-9._,:/+-]',
    ) ?? ''
  )
    .split(/\s+/)
    .filter((a) => a !== '');
  return {
    menuTimeoutSeconds: r.integer('BRUME_PXE_MENU_TIMEOUT', 0, 3600, 3),
    publicUrl: r.url('BRUME_PXE_PUBLIC_URL')?.replace(/\/+$/, '') ?? null,
    kernelUrl: r.url('BRUME_BOOT_KERNEL_URL'),
    initrdUrl: r.url('BRUME_BOOT_INITRD_URL'),
    kernelArgs: args,
    memtestUrl: r.url('BRUME_BOOT_MEMTEST_URL'),
  };
}

function readDhcpRange(r: Reader, serverAddress: string | null, netmask: string): DhcpRange | null {
  const start = r.ipv4('BRUME_PXE_RANGE_START');
  const end = r.ipv4('BRUME_PXE_RANGE_END');
  const router = r.ipv4('BRUME_PXE_ROUTER') ?? null;
  const dnsRaw = r.text(
    'BRUME_PXE_DNS',
    (v) => v.split(',').every((a) => isIpv4(a.trim())),
    'must be a comma-separated list of IPv4 addresses',
  );
  const leaseTime =
    r.text(
      'BRUME_PXE_LEASE_TIME',
      (v) => LEASE_TIME.test(v),
      'must be like 45m, 12h, 2d, 3600 or infinite',
      '12h',
    ) ?? '12h';
  if (read(r.env, 'BRUME_PXE_RANGE_START') === undefined)
    r.add('BRUME_PXE_RANGE_START', 'is required when BRUME_PXE_MODE=dhcp');
  if (read(r.env, 'BRUME_PXE_RANGE_END') === undefined)
    r.add('BRUME_PXE_RANGE_END', 'is required when BRUME_PXE_MODE=dhcp');
  if (start === undefined || end === undefined) return null;
  if (ipv4ToInt(start) > ipv4ToInt(end))
    r.add('BRUME_PXE_RANGE_END', `must not come before BRUME_PXE_RANGE_START (${start})`);
  if (!sameSubnet(start, end, netmask))
    r.add('BRUME_PXE_RANGE_END', `must be in the same /${netmask} subnet as BRUME_PXE_RANGE_START`);
  if (serverAddress !== null && !sameSubnet(serverAddress, start, netmask)) {
    r.add(
      'BRUME_PXE_RANGE_START',
      `must be in the server's subnet ${networkOf(serverAddress, netmask)}/${netmask}`,
    );
  }
  return { start, end, router, dns: dnsRaw ? dnsRaw.split(',').map((a) => a.trim()) : [], leaseTime };
}

function readDnsmasq(r: Reader, env: Env, iface: string): DnsmasqSettings | null {
  const modeRaw = read(env, 'BRUME_PXE_MODE') ?? 'proxy';
  const mode: PxeMode | undefined = modeRaw === 'proxy' || modeRaw === 'dhcp' ? modeRaw : undefined;
  if (mode === undefined)
    r.add('BRUME_PXE_MODE', `must be proxy or dhcp (got ${JSON.stringify(modeRaw.slice(0, 20))})`);
  const serverAddress = r.ipv4('BRUME_PXE_NEXT_SERVER') ?? null;
  const netmask =
    r.text('BRUME_PXE_NETMASK', isNetmask, 'must be a netmask such as 255.255.255.0', '255.255.255.0') ??
    '255.255.255.0';
  const dhcp = mode === 'dhcp' ? readDhcpRange(r, serverAddress, netmask) : null;
  const dataDir = path.resolve(read(env, 'BRUME_DATA_DIR') ?? './data');
  const stateDir = path.join(dataDir, 'pxe');
  const safePath = (v: string) => SAFE_ABSOLUTE_PATH.test(v) && !v.split('/').includes('..');
  if (!safePath(stateDir))
    r.add(
      'BRUME_DATA_DIR',
      'must be a path of [A-Za-z0-9._/+-] when PXE is on (it is written into dnsmasq.conf)',
    );
  const tftpRoot =
    r.text('BRUME_PXE_TFTP_ROOT', safePath, 'must be an absolute path of [A-Za-z0-9._/+-]') ??
    path.join(stateDir, 'tftp');
  const ipxeDir =
    r.text('BRUME_PXE_IPXE_DIR', safePath, 'must be an absolute path of [A-Za-z0-9._/+-]', '/usr/lib/ipxe') ??
    '/usr/lib/ipxe';
  const uefi = r.text(
    'BRUME_PXE_UEFI_BINARY',
    (v) => v === 'ipxe.efi' || v === 'snponly.efi',
    'must be ipxe.efi or snponly.efi',
    'ipxe.efi',
  );
  const dnsmasqPath =
    r.text(
      'BRUME_PXE_DNSMASQ',
      (v) => v === 'dnsmasq' || safePath(v),
      'must be dnsmasq or an absolute path',
      'dnsmasq',
    ) ?? 'dnsmasq';
  const user =
    r.text('BRUME_PXE_DNSMASQ_USER', (v) => USER_NAME.test(v), 'must be a Unix user name', 'dnsmasq') ??
    'dnsmasq';
  const httpPort = r.integer('PORT', 0, 65_535, 8080);
  const searchPath = [read(env, 'PATH') ?? '', '/usr/local/sbin', '/usr/sbin', '/sbin']
    .filter((d) => d !== '')
    .join(':');
  if (mode === undefined) return null;
  return {
    searchPath,
    interface: iface,
    mode,
    serverAddress,
    netmask,
    dhcp,
    stateDir,
    tftpRoot,
    ipxeDir,
    uefiBinary: (uefi ?? 'ipxe.efi') as UefiBinary,
    dnsmasqPath,
    user,
    httpPort,
  };
}

export type PxeConfigResult = { ok: true; config: PxeConfig } | { ok: false; problems: readonly Problem[] };

/** Parses the PXE settings; every invalid variable is listed, not just the first. */
export function parsePxeConfig(env: Env): PxeConfigResult {
  const r = new Reader(env);
  const boot = readBoot(r);
  const ifaceRaw = read(env, 'BRUME_PXE_INTERFACE');
  let dnsmasq: DnsmasqSettings | null = null;
  if (ifaceRaw !== undefined) {
    const iface = r.text(
      'BRUME_PXE_INTERFACE',
      (v) => INTERFACE_NAME.test(v),
      'must be an interface name of 1-15 characters [A-Za-z0-9_.-]',
    );
    dnsmasq = readDnsmasq(r, env, iface ?? 'invalid');
  }
  if (r.problems.length > 0) return { ok: false, problems: r.problems };
  return { ok: true, config: Object.freeze({ dnsmasq, boot }) };
}

export class PxeConfigError extends Error {
  readonly code = 'INVALID_PXE_CONFIG';
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[]) {
    super(`Invalid PXE configuration:\n${problems.map((p) => `  - ${p.name}: ${p.message}`).join('\n')}`);
    this.name = 'PxeConfigError';
    this.problems = problems;
  }
}

/** Throws PxeConfigError listing every problem. */
export function loadPxeConfig(env: Env): PxeConfig {
  const result = parsePxeConfig(env);
  if (!result.ok) throw new PxeConfigError(result.problems);
  return result.config;
}

/**
 * The same parser as a zod section for the core's `configSections` (input: the flat env record).
 * Each problem becomes one issue whose path is the variable name.
 */
export const pxeSection = z.record(z.string(), z.string().optional()).transform((env, ctx): PxeConfig => {
  const result = parsePxeConfig(env);
  if (result.ok) return result.config;
  for (const p of result.problems) ctx.addIssue({ code: 'custom', path: [p.name], message: p.message });
  return z.NEVER;
});
