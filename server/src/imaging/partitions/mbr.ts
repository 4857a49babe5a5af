import type { ByteRange, DiskReader, PartitionInfo } from '../layout-types.ts';
import { PartitionTableError } from './partition-errors.ts';

export const MBR_SIGNATURE_OFFSET = 510;
export const GPT_PROTECTIVE_TYPE = 0xee;
const EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);
/** Linux stops at a few hundred logicals; a longer chain is a loop or garbage. */
const MAX_LOGICAL_PARTITIONS = 256;

export interface MbrEntry {
  readonly index: number;
  readonly bootable: boolean;
  readonly type: number;
  readonly startLba: number;
  readonly sectors: number;
}

export function hasMbrSignature(sector: Uint8Array): boolean {
  return (
    sector.length >= 512 && sector[MBR_SIGNATURE_OFFSET] === 0x55 && sector[MBR_SIGNATURE_OFFSET + 1] === 0xaa
  );
}

/** The four entries of an MBR or EBR sector; empty entries (type 0 or no sectors) are left out. */
export function parseMbrEntries(sector: Uint8Array): MbrEntry[] {
  const view = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const entries: MbrEntry[] = [];
  for (let i = 0; i < 4; i++) {
    const base = 446 + i * 16;
    const type = view.getUint8(base + 4);
    const sectors = view.getUint32(base + 12, true);
    if (type === 0 || sectors === 0) continue;
    entries.push({
      index: i,
      bootable: view.getUint8(base) === 0x80,
      type,
      startLba: view.getUint32(base + 8, true),
      sectors,
    });
  }
  return entries;
}

export function isExtendedType(type: number): boolean {
  return EXTENDED_TYPES.has(type);
}

function typeId(type: number): string {
  return `0x${type.toString(16).padStart(2, '0')}`;
}

export interface MbrLayout {
  readonly partitions: PartitionInfo[];
  /** The sectors of the extended boot records. */
  readonly ebrRanges: ByteRange[];
}

function checkInside(disk: DiskReader, startLba: number, sectors: number, what: string): void {
  const ss = disk.sectorSize;
  if (startLba === 0 || (startLba + sectors) * ss > disk.size) {
    throw new PartitionTableError(
      'PARTITION_OUT_OF_RANGE',
      `${what} [LBA ${startLba}, +${sectors}) lies outside the disk of ${disk.size / ss} sectors`,
    );
  }
}

/** Follows the EBR chain of an extended partition; each EBR's second entry links to the next. */
async function readLogicals(disk: DiskReader, ext: MbrEntry, out: MbrLayout): Promise<void> {
  const ss = disk.sectorSize;
  const sector = new Uint8Array(ss);
  const seen = new Set<number>();
  let ebrLba = ext.startLba;
  let number = 5;
  while (true) {
    if (seen.has(ebrLba) || seen.size >= MAX_LOGICAL_PARTITIONS) {
      throw new PartitionTableError('EBR_CHAIN_INVALID', `EBR chain loops or is too long at LBA ${ebrLba}`);
    }
    seen.add(ebrLba);
    checkInside(disk, ebrLba, 1, 'extended boot record');
    await disk.readAt(sector, ebrLba * ss);
    if (!hasMbrSignature(sector)) {
      throw new PartitionTableError('EBR_CHAIN_INVALID', `EBR at LBA ${ebrLba} has no 55AA signature`);
    }
    out.ebrRanges.push({ offset: ebrLba * ss, length: ss });
    const entries = parseMbrEntries(sector);
    const logical = entries.find((e) => !isExtendedType(e.type));
    if (logical !== undefined) {
      const start = ebrLba + logical.startLba;
      checkInside(disk, start, logical.sectors, `logical partition ${number}`);
      out.partitions.push({
        number: number++,
        start: start * ss,
        size: logical.sectors * ss,
        typeId: typeId(logical.type),
        bootable: logical.bootable,
      });
    }
    const link = entries.find((e) => isExtendedType(e.type));
    if (link === undefined) return;
    ebrLba = ext.startLba + link.startLba;
  }
}

/**
 * Reads primary partitions and the logicals of an extended partition. The extended container
 * itself is not listed as a partition: its only content of its own is the EBR sectors.
 */
export async function readMbrLayout(disk: DiskReader, mbr: Uint8Array): Promise<MbrLayout> {
  const out: MbrLayout = { partitions: [], ebrRanges: [] };
  const entries = parseMbrEntries(mbr);
  const extended = entries.filter((e) => isExtendedType(e.type));
  if (extended.length > 1) {
    throw new PartitionTableError('MBR_INVALID_ENTRY', 'more than one extended partition');
  }
  for (const e of entries) {
    checkInside(disk, e.startLba, e.sectors, `partition ${e.index + 1}`);
    if (isExtendedType(e.type)) continue;
    out.partitions.push({
      number: e.index + 1,
      start: e.startLba * disk.sectorSize,
      size: e.sectors * disk.sectorSize,
      typeId: typeId(e.type),
      bootable: e.bootable,
    });
  }
  if (extended[0] !== undefined) await readLogicals(disk, extended[0], out);
  return out;
}
