import type { ByteRange, DiskLayout, DiskReader, PartitionInfo } from '../layout-types.ts';
import { normalizeRanges } from './byte-ranges.ts';
import { type GptLayout, readGptCopy, readGptLayout } from './gpt.ts';
import { GPT_PROTECTIVE_TYPE, hasMbrSignature, parseMbrEntries, readMbrLayout } from './mbr.ts';
import { PartitionTableError } from './partition-errors.ts';

/** The pseudo-partition of a disk without a table (a "superfloppy"): number 0, the whole disk. */
export const WHOLE_DISK_TYPE_ID = 'none';

function wholeDisk(disk: DiskReader): DiskLayout {
  const part: PartitionInfo = { number: 0, start: 0, size: disk.size, typeId: WHOLE_DISK_TYPE_ID };
  return {
    table: 'none',
    diskSize: disk.size,
    sectorSize: disk.sectorSize,
    partitions: disk.size > 0 ? [part] : [],
    preservedRanges: [],
  };
}

function checkNoOverlap(partitions: readonly PartitionInfo[]): void {
  const sorted = [...partitions].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.start < prev.start + prev.size) {
      throw new PartitionTableError(
        'PARTITIONS_OVERLAP',
        `partitions ${prev.number} and ${cur.number} overlap`,
      );
    }
  }
}

/** The lowest of `starts`, or `fallback` when there is none. */
function firstStart(starts: readonly number[], fallback: number): number {
  return starts.length === 0 ? fallback : starts.reduce((a, b) => Math.min(a, b));
}

/**
 * Where the backup entry array and header are (or should be, when the backup is unreadable), as
 * two ranges so a backup whose array lies apart from its header never spans partitions.
 */
function gptBackupRanges(disk: DiskReader, gpt: GptLayout): ByteRange[] {
  const ss = disk.sectorSize;
  const lastLba = Math.floor(disk.size / ss) - 1;
  const h = gpt.backup?.header ?? gpt.used.header;
  const entrySectors = Math.ceil((h.entryCount * h.entrySize) / ss);
  if (gpt.backup !== undefined) {
    return [
      { offset: h.entriesLba * ss, length: entrySectors * ss },
      { offset: h.myLba * ss, length: ss },
    ];
  }
  const headerLba = gpt.primary !== undefined ? Math.min(h.alternateLba, lastLba) : lastLba;
  const start = Math.max(h.lastUsableLba + 1, headerLba - entrySectors);
  return [{ offset: start * ss, length: (headerLba + 1 - start) * ss }];
}

async function gptLayout(disk: DiskReader): Promise<DiskLayout> {
  const gpt = await readGptLayout(disk);
  checkNoOverlap(gpt.partitions);
  const ss = disk.sectorSize;
  const head = firstStart(
    gpt.partitions.map((p) => p.start),
    gpt.used.header.firstUsableLba * ss,
  );
  return {
    table: 'gpt',
    diskSize: disk.size,
    sectorSize: ss,
    partitions: gpt.partitions,
    preservedRanges: normalizeRanges([{ offset: 0, length: head }, ...gptBackupRanges(disk, gpt)]),
  };
}

/** An image file copied from a 4Kn disk: the same bytes addressed in 4096-byte sectors. */
function asSectorSize(disk: DiskReader, sectorSize: number): DiskReader {
  return {
    path: disk.path,
    size: disk.size,
    sectorSize,
    readAt: (buffer, offset, length) => disk.readAt(buffer, offset, length),
  };
}

/**
 * Image files carry no sector size and are read as 512-byte sectors; when no GPT is found that
 * way, one written for 4096-byte sectors (a 4Kn disk's image) is accepted too, and the layout says so.
 */
async function gptLayoutAnySectorSize(disk: DiskReader): Promise<DiskLayout> {
  try {
    return await gptLayout(disk);
  } catch (err) {
    const retry =
      err instanceof PartitionTableError &&
      err.code === 'GPT_BOTH_HEADERS_CORRUPT' &&
      disk.sectorSize === 512 &&
      disk.size % 4096 === 0;
    if (!retry) throw err;
    const as4k = asSectorSize(disk, 4096);
    if (typeof (await readGptCopy(as4k, 1)) === 'string') throw err;
    return gptLayout(as4k);
  }
}

/** Status bytes other than 0x00/0x80 mean sector 0 is a filesystem boot sector, not an MBR. */
function looksLikeMbr(sector: Uint8Array): boolean {
  for (let i = 0; i < 4; i++) {
    const status = sector[446 + i * 16];
    if (status !== 0 && status !== 0x80) return false;
  }
  return parseMbrEntries(sector).length > 0;
}

/**
 * Reads the partition table of a disk: GPT (protective MBR, both copies CRC-checked, backup used
 * when the primary is corrupt), MBR with logical partitions, or none (one whole-disk pseudo-partition).
 */
export async function readDiskLayout(disk: DiskReader): Promise<DiskLayout> {
  const ss = disk.sectorSize;
  if (disk.size < ss * 2) return wholeDisk(disk);
  const sector = new Uint8Array(ss);
  await disk.readAt(sector, 0);
  const mbrSigned = hasMbrSignature(sector);
  const entries = mbrSigned ? parseMbrEntries(sector) : [];
  if (entries.some((e) => e.type === GPT_PROTECTIVE_TYPE)) return gptLayoutAnySectorSize(disk);
  if (mbrSigned && looksLikeMbr(sector)) {
    const mbr = await readMbrLayout(disk, sector);
    checkNoOverlap(mbr.partitions);
    const starts = [...mbr.partitions.map((p) => p.start), ...mbr.ebrRanges.map((r) => r.offset)];
    const head = firstStart(starts, ss);
    return {
      table: 'mbr',
      diskSize: disk.size,
      sectorSize: ss,
      partitions: mbr.partitions,
      preservedRanges: normalizeRanges([{ offset: 0, length: head }, ...mbr.ebrRanges]),
    };
  }
  // A GPT without a protective MBR (some tools wipe sector 0): trust it only if a header checks out.
  if (typeof (await readGptCopy(disk, 1)) !== 'string') return gptLayout(disk);
  return wholeDisk(disk);
}
