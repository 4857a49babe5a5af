import { readFile, realpath } from 'node:fs/promises';
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

/**
 * SCSI/SATA disks expose their serial only in VPD page 0x80: a 4-byte header (length in bytes 2-3)
 * then ASCII, space padded.
 */
async function readVpdSerial(path: string): Promise<string | undefined> {
  try {
    const page = await readFile(path);
    if (page.length < 4 || page[1] !== 0x80) return undefined;
    const length = Math.min(page.readUInt16BE(2), page.length - 4);
    const serial = page
      .subarray(4, 4 + length)
      .toString('latin1')
      .trim();
    return serial === '' ? undefined : serial;
  } catch {
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
  // /dev/disk/by-id/... and /dev/mapper/... are symlinks: sysfs knows the kernel name only.
  const name = basename(await realpath(devicePath).catch(() => devicePath));
  const dir = `${root}/${name}`;
  const [size, lbs, model, serial, removable, rotational, vpdSerial] = await Promise.all([
    readSysfs(`${dir}/size`),
    readSysfs(`${dir}/queue/logical_block_size`),
    readSysfs(`${dir}/device/model`),
    readSysfs(`${dir}/device/serial`),
    readSysfs(`${dir}/removable`),
    readSysfs(`${dir}/queue/rotational`),
    readVpdSerial(`${dir}/device/vpd_pg80`),
  ]);
  const identity: { -readonly [K in keyof DiskIdentity]: DiskIdentity[K] } = {};
  if (model !== undefined) identity.model = model;
  const serialValue = serial ?? vpdSerial;
  if (serialValue !== undefined) identity.serial = serialValue;
  if (removable !== undefined) identity.removable = removable === '1';
  if (rotational !== undefined) identity.rotational = rotational === '1';
  const info: { sizeBytes?: number; logicalSectorSize?: number; identity: DiskIdentity } = { identity };
  if (size !== undefined && /^\d+$/.test(size)) info.sizeBytes = Number(size) * 512;
  if (lbs !== undefined && /^\d+$/.test(lbs)) info.logicalSectorSize = Number(lbs);
  return info;
}
