import { constants } from 'node:fs';
import { access, chmod, chown, copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BIOS_BOOT_FILE } from './dnsmasq-config.ts';
import type { DnsmasqSettings } from './pxe-config.ts';
import { PxeInterfaceAddressError, PxeTftpRootError, PxeToolMissingError } from './pxe-errors.ts';

/**
 * The files dnsmasq needs on disk: its binary, and Debian's iPXE binaries copied into a TFTP root
 * that holds nothing else. Copies, not symlinks: with tftp-secure dnsmasq serves only files owned
 * by its own user, and a link would hand it whatever the link points to.
 */

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds an executable by bare name on PATH (the env is passed in: no process.env here). */
export async function findExecutable(name: string, searchPath: string): Promise<string | null> {
  if (name.startsWith('/')) return (await isExecutable(name)) ? name : null;
  for (const dir of searchPath.split(':').filter((d) => d !== '')) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return null;
}

export function bootFileNames(settings: DnsmasqSettings): string[] {
  return [BIOS_BOOT_FILE, settings.uefiBinary];
}

export interface BootToolPaths {
  readonly dnsmasq: string;
  readonly bootFiles: readonly string[];
}

/** Throws PxeToolMissingError naming everything missing at once. */
export async function locateBootTools(settings: DnsmasqSettings, searchPath: string): Promise<BootToolPaths> {
  const missing: string[] = [];
  const dnsmasq = await findExecutable(settings.dnsmasqPath, searchPath);
  if (dnsmasq === null) missing.push(`dnsmasq (${settings.dnsmasqPath})`);
  const bootFiles: string[] = [];
  for (const name of bootFileNames(settings)) {
    const file = path.join(settings.ipxeDir, name);
    try {
      await access(file, constants.R_OK);
      bootFiles.push(file);
    } catch {
      missing.push(`iPXE ${file}`);
    }
  }
  if (dnsmasq === null || missing.length > 0) throw new PxeToolMissingError(missing);
  return { dnsmasq, bootFiles };
}

/** uid/gid of a user from /etc/passwd (Node has no getpwnam); null when absent. */
export async function lookupUser(
  name: string,
  passwdFile = '/etc/passwd',
): Promise<{ uid: number; gid: number } | null> {
  const text = await readFile(passwdFile, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined)
      return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

/**
 * Rebuilds the TFTP root: removes anything that is not a boot file, copies each boot file in
 * (temp name, then rename), world-readable, owned by the dnsmasq user when we run as root.
 */
export async function prepareTftpRoot(
  root: string,
  bootFiles: readonly string[],
  owner: { uid: number; gid: number } | null,
): Promise<void> {
  try {
    await mkdir(root, { recursive: true, mode: 0o755 });
    const wanted = new Set(bootFiles.map((f) => path.basename(f)));
    for (const entry of await readdir(root)) {
      if (!wanted.has(entry)) await rm(path.join(root, entry), { recursive: true, force: true });
    }
    for (const source of bootFiles) {
      const target = path.join(root, path.basename(source));
      const temp = `${target}.tmp`;
      await copyFile(source, temp);
      await chmod(temp, 0o444);
      if (owner !== null) await chown(temp, owner.uid, owner.gid);
      await rename(temp, target);
    }
  } catch (error) {
    throw new PxeTftpRootError(root, error);
  }
}

/**
 * dnsmasq opens the TFTP root after dropping to its own user: every directory above it must be
 * searchable by that user, or dnsmasq exits with a bare "Permission denied". Say which one.
 */
export async function assertReachableBy(dir: string, owner: { uid: number; gid: number }): Promise<void> {
  const parts = path
    .resolve(dir)
    .split('/')
    .filter((p) => p !== '');
  for (let i = 0; i <= parts.length; i++) {
    const current = `/${parts.slice(0, i).join('/')}`;
    const s = await stat(current);
    const searchable =
      (s.mode & 0o001) !== 0 ||
      (s.uid === owner.uid && (s.mode & 0o100) !== 0) ||
      (s.gid === owner.gid && (s.mode & 0o010) !== 0);
    if (!searchable) {
      throw new PxeTftpRootError(
        dir,
        new Error(`the dnsmasq user cannot enter ${current} (chmod o+x it, or set BRUME_PXE_TFTP_ROOT)`),
      );
    }
  }
}

/** The first IPv4 address of an interface in this process's network namespace. */
export function interfaceAddress(iface: string, interfaces = os.networkInterfaces()): string {
  const found = interfaces[iface]?.find((a) => a.family === 'IPv4' && !a.internal);
  if (found === undefined) throw new PxeInterfaceAddressError(iface);
  return found.address;
}
