import { crc32 } from '../crc32.ts';
import { type GptHeader, parseGptHeader } from './gpt.ts';
import { PartitionTableError } from './partition-errors.ts';

/** Bytes of one preserved range, at its absolute disk offset. */
export interface PreservedBytes {
  readonly offset: number;
  readonly data: Uint8Array;
}

function gather(pieces: readonly PreservedBytes[], offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let covered = 0;
  for (const p of pieces) {
    const from = Math.max(offset, p.offset);
    const to = Math.min(offset + length, p.offset + p.data.length);
    if (to <= from) continue;
    out.set(p.data.subarray(from - p.offset, to - p.offset), from - offset);
    covered += to - from;
  }
  if (covered !== length) {
    throw new PartitionTableError(
      'GPT_BACKUP_NOT_FOUND',
      `preserved bytes do not cover [${offset}, +${length})`,
    );
  }
  return out;
}

function patch(pieces: PreservedBytes[], offset: number, bytes: Uint8Array): void {
  for (const p of pieces) {
    const from = Math.max(offset, p.offset);
    const to = Math.min(offset + bytes.length, p.offset + p.data.length);
    if (to > from) p.data.set(bytes.subarray(from - offset, to - offset), from - p.offset);
  }
}

function sealHeader(header: Uint8Array, size: number): void {
  const v = new DataView(header.buffer, header.byteOffset, header.byteLength);
  v.setUint32(16, 0, true);
  v.setUint32(16, crc32(header.subarray(0, size)), true);
}

/** Largest last LBA among the entries, so a shrinking target is refused before anything is written. */
function maxPartitionLastLba(entries: Uint8Array, count: number, size: number): number {
  const v = new DataView(entries.buffer, entries.byteOffset, entries.byteLength);
  let max = 0;
  for (let i = 0; i < count; i++) {
    const typeEmpty = entries.subarray(i * size, i * size + 16).every((b) => b === 0);
    if (!typeEmpty) max = Math.max(max, Number(v.getBigUint64(i * size + 40, true)));
  }
  return max;
}

/**
 * Rewrites preserved GPT bytes captured on a disk of `fromDiskSize` for a target of `toDiskSize`:
 * the primary header's alternate and last usable LBAs, a new backup header and entry array at the
 * target's end (both CRCs recomputed) and the protective MBR's size. The source's backup pieces are
 * dropped. Returns new pieces (inputs are not modified); same sizes return copies unchanged.
 */
export function relocateGptBackup(
  preserved: readonly PreservedBytes[],
  fromDiskSize: number,
  toDiskSize: number,
  sectorSize: number,
): PreservedBytes[] {
  const ss = sectorSize;
  const pieces = preserved.map((p) => ({ offset: p.offset, data: p.data.slice() }));
  if (fromDiskSize === toDiskSize) return pieces;
  const src = sourceGpt(pieces, fromDiskSize, ss);
  const { header: h, primary, entries, entrySectors } = src;
  const newLast = Math.floor(toDiskSize / ss) - 1;
  const newEntriesLba = newLast - entrySectors;
  const newLastUsable = newEntriesLba - 1;
  const maxLast = maxPartitionLastLba(entries, h.entryCount, h.entrySize);
  if (maxLast > newLastUsable || newLastUsable < h.firstUsableLba) {
    throw new PartitionTableError(
      'DISK_TOO_SMALL',
      `partitions do not fit before a backup GPT at LBA ${newEntriesLba}`,
    );
  }
  const kept = pieces.filter((p) => p.offset < src.oldBackupStart && p.offset + p.data.length <= toDiskSize);
  const pv = new DataView(primary.buffer);
  pv.setBigUint64(32, BigInt(newLast), true);
  pv.setBigUint64(48, BigInt(newLastUsable), true);
  sealHeader(primary, src.headerSize);
  patch(kept, ss, primary);
  patch(kept, h.entriesLba * ss, entries);
  const backup = primary.slice();
  const bv = new DataView(backup.buffer);
  bv.setBigUint64(24, BigInt(newLast), true);
  bv.setBigUint64(32, 1n, true);
  bv.setBigUint64(72, BigInt(newEntriesLba), true);
  sealHeader(backup, src.headerSize);
  const tail = new Uint8Array((entrySectors + 1) * ss);
  tail.set(entries, 0);
  tail.set(backup, entrySectors * ss);
  updateProtectiveMbr(kept, newLast);
  return [...kept, { offset: newEntriesLba * ss, data: tail }];
}

interface SourceGpt {
  /** The header in its primary form (LBA 1, entries at `header.entriesLba`). */
  readonly header: GptHeader;
  readonly primary: Uint8Array;
  readonly headerSize: number;
  readonly entries: Uint8Array;
  readonly entrySectors: number;
  readonly oldBackupStart: number;
}

function readCopy(pieces: readonly PreservedBytes[], lba: number, ss: number) {
  const sector = gather(pieces, lba * ss, ss);
  const header = parseGptHeader(sector, lba);
  if (typeof header === 'string') return header;
  const entrySectors = Math.ceil((header.entryCount * header.entrySize) / ss);
  const entries = gather(pieces, header.entriesLba * ss, entrySectors * ss);
  if (crc32(entries.subarray(0, header.entryCount * header.entrySize)) !== header.entriesCrc) {
    return 'entry array CRC32 mismatch';
  }
  return { sector, header, entries, entrySectors };
}

/** The valid source GPT: the primary, else the backup at the source's end turned into a primary. */
function sourceGpt(pieces: readonly PreservedBytes[], fromDiskSize: number, ss: number): SourceGpt {
  const fromLast = Math.floor(fromDiskSize / ss) - 1;
  const primary = readCopy(pieces, 1, ss);
  if (typeof primary !== 'string') {
    const { sector, header, entries, entrySectors } = primary;
    const oldBackupStart = (header.alternateLba - entrySectors) * ss;
    return {
      header,
      primary: sector,
      headerSize: headerSizeOf(sector),
      entries,
      entrySectors,
      oldBackupStart,
    };
  }
  const backup = readCopy(pieces, fromLast, ss);
  if (typeof backup === 'string') {
    throw new PartitionTableError('GPT_BACKUP_NOT_FOUND', `primary GPT: ${primary}; backup GPT: ${backup}`);
  }
  const { sector, entries, entrySectors } = backup;
  const v = new DataView(sector.buffer);
  v.setBigUint64(24, 1n, true);
  v.setBigUint64(32, BigInt(fromLast), true);
  v.setBigUint64(72, 2n, true);
  const header = { ...backup.header, myLba: 1, alternateLba: fromLast, entriesLba: 2 };
  const oldBackupStart = Math.min(backup.header.entriesLba, fromLast) * ss;
  return { header, primary: sector, headerSize: headerSizeOf(sector), entries, entrySectors, oldBackupStart };
}

function headerSizeOf(sector: Uint8Array): number {
  return new DataView(sector.buffer, sector.byteOffset, sector.byteLength).getUint32(12, true);
}

/** The 0xEE entry spans LBA 1 to the disk end (capped at 32 bits), as UEFI requires. */
function updateProtectiveMbr(pieces: PreservedBytes[], lastLba: number): void {
  const mbr = gather(pieces, 0, 512);
  const v = new DataView(mbr.buffer);
  for (let i = 0; i < 4; i++) {
    const at = 446 + i * 16;
    if (mbr[at + 4] === 0xee) v.setUint32(at + 12, Math.min(lastLba, 0xffffffff), true);
  }
  patch(pieces, 0, mbr);
}
