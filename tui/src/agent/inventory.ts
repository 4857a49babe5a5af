/**
 * Hardware inventory from the running Linux (FOG's fields): DMI from /sys/class/dmi/id, CPU from
 * /proc/cpuinfo, memory from /proc/meminfo, disks from /sys/class/block, NICs from /sys/class/net.
 * Roots are parameters so tests point them at a fake tree; a JSON file may replace it all.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { InventoryReport } from '../client/agent-port.ts';

export interface InventoryRoots {
  readonly sys: string;
  readonly proc: string;
}

const DEFAULT_ROOTS: InventoryRoots = { sys: '/sys', proc: '/proc' };

async function read(path: string): Promise<string | null> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return text === '' ? null : text.slice(0, 256);
  } catch {
    return null;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

export function parseCpuInfo(
  text: string,
): Pick<InventoryReport, 'cpuManufacturer' | 'cpuModel' | 'cpuCurrentSpeedMhz' | 'cpuCores'> {
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim() ?? null;
  const processors = text.match(/^processor\s*:/gm)?.length ?? 0;
  const mhz = Number(field('cpu MHz'));
  return {
    cpuManufacturer: field('vendor_id'),
    cpuModel: field('model name'),
    cpuCurrentSpeedMhz: Number.isFinite(mhz) && mhz > 0 ? Math.round(mhz) : null,
    cpuCores: processors || null,
  };
}

export function parseMemTotal(text: string): number | null {
  const kib = /^MemTotal:\s+(\d+)\s+kB$/m.exec(text)?.[1];
  return kib ? Number(kib) * 1024 : null;
}

async function dmi(sys: string) {
  const d = (name: string) => read(join(sys, 'class/dmi/id', name));
  return {
    systemManufacturer: await d('sys_vendor'),
    systemProduct: await d('product_name'),
    systemVersion: await d('product_version'),
    systemSerial: await d('product_serial'),
    systemUuid: await d('product_uuid'),
    chassisType: await d('chassis_type'),
    biosVendor: await d('bios_vendor'),
    biosVersion: await d('bios_version'),
    biosDate: await d('bios_date'),
    boardManufacturer: await d('board_vendor'),
    boardProduct: await d('board_name'),
    boardVersion: await d('board_version'),
    boardSerial: await d('board_serial'),
    boardAssetTag: await d('board_asset_tag'),
  };
}

/** Whole disks only: partitions have a `partition` file; loop, ram and dm devices are skipped. */
async function disks(sys: string): Promise<NonNullable<InventoryReport['disks']>> {
  const out: NonNullable<InventoryReport['disks']>[number][] = [];
  for (const name of await list(join(sys, 'class/block'))) {
    const dir = join(sys, 'class/block', name);
    if (/^(loop|ram|dm-|zram|sr)/.test(name) || (await read(join(dir, 'partition'))) !== null) continue;
    const size = Number(await read(join(dir, 'size')));
    out.push({
      device: `/dev/${name}`,
      model: await read(join(dir, 'device/model')),
      firmware: await read(join(dir, 'device/firmware_rev')),
      serial: (await read(join(dir, 'device/serial'))) ?? (await read(join(dir, 'device/wwid'))),
      sizeBytes: Number.isFinite(size) ? size * 512 : null,
      removable: (await read(join(dir, 'removable'))) === '1',
    });
  }
  return out.slice(0, 64);
}

async function nics(sys: string): Promise<NonNullable<InventoryReport['nics']>> {
  const out: NonNullable<InventoryReport['nics']>[number][] = [];
  for (const name of await list(join(sys, 'class/net'))) {
    if (name === 'lo') continue;
    const dir = join(sys, 'class/net', name);
    const speed = Number(await read(join(dir, 'speed')));
    const driverLink = await readlink(join(dir, 'device/driver')).catch(() => null);
    out.push({
      name,
      mac: await read(join(dir, 'address')),
      driver: driverLink ? (driverLink.split('/').at(-1) ?? null) : null,
      speedMbps: Number.isFinite(speed) && speed > 0 ? speed : null,
    });
  }
  return out.slice(0, 64);
}

export async function collectInventory(roots: InventoryRoots = DEFAULT_ROOTS): Promise<InventoryReport> {
  const cpuText = await readFile(join(roots.proc, 'cpuinfo'), 'utf8').catch(() => '');
  const memText = await readFile(join(roots.proc, 'meminfo'), 'utf8').catch(() => '');
  return {
    ...(await dmi(roots.sys)),
    ...parseCpuInfo(cpuText),
    memoryBytes: parseMemTotal(memText),
    disks: await disks(roots.sys),
    nics: await nics(roots.sys),
  };
}

/** The inventory from a JSON file (tests, demos): taken as it is, the server validates it. */
export async function inventoryFromFile(path: string): Promise<InventoryReport> {
  return JSON.parse(await readFile(path, 'utf8')) as InventoryReport;
}
