import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { DiskIdentity } from '../layout-types.ts';

/** Where Linux describes block devices; a parameter so tests can point it at a fake tree. */
export const SYSFS_BLOCK_ROOT = '/sys/class/block';

async function readSysfs(path: string): Promise<string | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch {
    // Absent attributes are normal (virtual disks have no serial, loop devices no model).
    return undefined;
  }
}

export interface SysfsBlockInfo {
  readonly sizeBytes?: number;
  readonly logicalSectorSize?: number;
  readonly identity: DiskIdentity;
}

/**
 * Reads size, sector size and identity of a block device from sysfs. `size` in sysfs is always in
 * 512-byte units, whatever the logical sector size.
 */
export async function readSysfsBlockInfo(
  devicePath: string,
  root = SYSFS_BLOCK_ROOT,
): Promise<SysfsBlockInfo> {
  const dir = `${root}/${basename(devicePath)}`;
  const [size, lbs, model, serial, removable, rotational, wwid] = await Promise.all([
    readSysfs(`${dir}/size`),
    readSysfs(`${dir}/queue/logical_block_size`),
    readSysfs(`${dir}/device/model`),
    readSysfs(`${dir}/device/serial`),
    readSysfs(`${dir}/removable`),
    readSysfs(`${dir}/queue/rotational`),
    readSysfs(`${dir}/device/wwid`),
  ]);
  const identity: { -readonly [K in keyof DiskIdentity]: DiskIdentity[K] } = {};
  if (model !== undefined) identity.model = model;
  const serialValue = serial ?? wwid;
  if (serialValue !== undefined) identity.serial = serialValue;
  if (removable !== undefined) identity.removable = removable === '1';
  if (rotational !== undefined) identity.rotational = rotational === '1';
  const info: { sizeBytes?: number; logicalSectorSize?: number; identity: DiskIdentity } = { identity };
  if (size !== undefined && /^\d+$/.test(size)) info.sizeBytes = Number(size) * 512;
  if (lbs !== undefined && /^\d+$/.test(lbs)) info.logicalSectorSize = Number(lbs);
  return info;
}
