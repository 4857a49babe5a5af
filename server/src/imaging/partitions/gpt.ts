import { crc32 } from '../crc32.ts';
import type { DiskReader, PartitionInfo } from '../layout-types.ts';
import { PartitionTableError } from './partition-errors.ts';

const SIGNATURE = 'EFI PART';
const MIN_HEADER_SIZE = 92;
/** UEFI requires room for 128 entries; allow more but not absurd arrays (4 MiB). */
const MAX_ENTRY_ARRAY_BYTES = 4 * 1024 * 1024;

export interface GptHeader {
  readonly myLba: number;
  readonly alternateLba: number;
  readonly firstUsableLba: number;
  readonly lastUsableLba: number;
  readonly diskGuid: string;
  readonly entriesLba: number;
  readonly entryCount: number;
  readonly entrySize: number;
  readonly entriesCrc: number;
}

export interface GptRead {
  readonly header: GptHeader;
  readonly entries: Uint8Array;
}

export interface GptLayout {
  readonly primary?: GptRead;
  readonly backup?: GptRead;
  /** The copy the partitions were taken from. */
  readonly used: GptRead;
  readonly partitions: PartitionInfo[];
}

/** Formats a mixed-endian GUID as Windows and util-linux print it (lowercase). */
export function formatGuid(b: Uint8Array, at: number): string {
  const hex = (i: number) => b[at + i]!.toString(16).padStart(2, '0');
  const le = (idx: number[]) => idx.map(hex).join('');
  return `${le([3, 2, 1, 0])}-${le([5, 4])}-${le([7, 6])}-${le([8, 9])}-${le([10, 11, 12, 13, 14, 15])}`;
}

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** Why a header was rejected, or the header; never throws on garbage. */
export function parseGptHeader(sector: Uint8Array, expectedLba: number): GptHeader | string {
  if (new TextDecoder('latin1').decode(sector.subarray(0, 8)) !== SIGNATURE) return 'no EFI PART signature';
  const view = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const headerSize = view.getUint32(12, true);
  if (headerSize < MIN_HEADER_SIZE || headerSize > sector.length) return `bad header size ${headerSize}`;
  const copy = sector.slice(0, headerSize);
  new DataView(copy.buffer).setUint32(16, 0, true);
  if (crc32(copy) !== view.getUint32(16, true)) return 'header CRC32 mismatch';
  const header: GptHeader = {
    myLba: u64(view, 24),
    alternateLba: u64(view, 32),
    firstUsableLba: u64(view, 40),
    lastUsableLba: u64(view, 48),
    diskGuid: formatGuid(sector, 56),
    entriesLba: u64(view, 72),
    entryCount: view.getUint32(80, true),
    entrySize: view.getUint32(84, true),
    entriesCrc: view.getUint32(88, true),
  };
  if (header.myLba !== expectedLba) return `header claims LBA ${header.myLba}, read at ${expectedLba}`;
  if (header.entrySize < 128 || header.entrySize % 8 !== 0) return `bad entry size ${header.entrySize}`;
  if (header.entryCount * header.entrySize > MAX_ENTRY_ARRAY_BYTES) return 'entry array too large';
  if (header.firstUsableLba > header.lastUsableLba + 1) return 'first usable LBA after last usable LBA';
  return header;
}

/** Reads one header and its entry array; a string says why this copy is unusable. */
export async function readGptCopy(disk: DiskReader, lba: number): Promise<GptRead | string> {
  const ss = disk.sectorSize;
  const totalLbas = Math.floor(disk.size / ss);
  if (lba < 1 || lba >= totalLbas) return `header LBA ${lba} outside the disk`;
  const sector = new Uint8Array(ss);
  await disk.readAt(sector, lba * ss);
  const header = parseGptHeader(sector, lba);
  if (typeof header === 'string') return header;
  const bytes = header.entryCount * header.entrySize;
  const entrySectors = Math.ceil(bytes / ss);
  if (header.entriesLba < 1 || header.entriesLba + entrySectors > totalLbas)
    return 'entry array outside the disk';
  if (header.lastUsableLba >= totalLbas) return 'last usable LBA past the disk end';
  const entries = new Uint8Array(bytes);
  await disk.readAt(entries, header.entriesLba * ss);
  if (crc32(entries) !== header.entriesCrc) return 'entry array CRC32 mismatch';
  return { header, entries };
}

function isZero(b: Uint8Array): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

function decodeName(raw: Uint8Array): string {
  const units: number[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const u = raw[i]! | (raw[i + 1]! << 8);
    if (u === 0) break;
    units.push(u);
  }
  return String.fromCharCode(...units);
}

/** Partitions of a CRC-checked entry array, numbered by slot as Linux does (gaps keep numbers). */
export function gptPartitions(read: GptRead, sectorSize: number): PartitionInfo[] {
  const { header, entries } = read;
  const view = new DataView(entries.buffer, entries.byteOffset, entries.byteLength);
  const out: PartitionInfo[] = [];
  for (let i = 0; i < header.entryCount; i++) {
    const at = i * header.entrySize;
    if (isZero(entries.subarray(at, at + 16))) continue;
    const first = u64(view, at + 32);
    const last = u64(view, at + 40);
    if (last < first || first < header.firstUsableLba || last > header.lastUsableLba) {
      throw new PartitionTableError(
        'GPT_INVALID_ENTRIES',
        `GPT entry ${i + 1} [LBA ${first}, ${last}] outside the usable area`,
      );
    }
    out.push({
      number: i + 1,
      start: first * sectorSize,
      size: (last - first + 1) * sectorSize,
      typeId: formatGuid(entries, at),
      uuid: formatGuid(entries, at + 16),
      name: decodeName(entries.subarray(at + 56, at + 128)),
    });
  }
  return out;
}

/**
 * Reads the primary GPT at LBA 1 and the backup (where the primary says, else at the last LBA),
 * and takes the partitions from the first valid copy; both invalid is a typed error.
 */
export async function readGptLayout(disk: DiskReader): Promise<GptLayout> {
  const lastLba = Math.floor(disk.size / disk.sectorSize) - 1;
  const primary = await readGptCopy(disk, 1);
  let backup = await readGptCopy(disk, typeof primary === 'string' ? lastLba : primary.header.alternateLba);
  if (typeof backup === 'string' && typeof primary !== 'string' && primary.header.alternateLba !== lastLba) {
    backup = await readGptCopy(disk, lastLba);
  }
  const used = typeof primary !== 'string' ? primary : typeof backup !== 'string' ? backup : undefined;
  if (used === undefined) {
    throw new PartitionTableError(
      'GPT_BOTH_HEADERS_CORRUPT',
      `primary GPT: ${primary}; backup GPT: ${backup as string}`,
    );
  }
  const result: { primary?: GptRead; backup?: GptRead; used: GptRead; partitions: PartitionInfo[] } = {
    used,
    partitions: gptPartitions(used, disk.sectorSize),
  };
  if (typeof primary !== 'string') result.primary = primary;
  if (typeof backup !== 'string') result.backup = backup;
  return result;
}
