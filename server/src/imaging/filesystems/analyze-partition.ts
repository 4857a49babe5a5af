import type { DiskReader, PartitionInfo, UsedMap } from '../layout-types.ts';
import { analyzeExt, isExt } from './ext.ts';
import { analyzeFat, isFat } from './fat.ts';
import { CorruptFilesystemError, UnsupportedFilesystemError } from './filesystem-errors.ts';
import { analyzeNtfs, isNtfsBootSector } from './ntfs.ts';
import { PartitionReader } from './partition-reader.ts';
import { isSwap, SWAP_HEADER_SIZE, swapUsedMap } from './swap.ts';
import { allUsedMap } from './used-map.ts';

/** Enough for every signature we look for: boot sectors, the ext superblock at 1 KiB, the swap page. */
const PROBE_BYTES = SWAP_HEADER_SIZE;

/** BitLocker's boot sector carries a FAT-like BPB; it must never be read as FAT. */
function isBitLocker(probe: Uint8Array): boolean {
  return new TextDecoder('latin1').decode(probe.subarray(3, 11)) === '-FVE-FS-';
}

async function detectAndMap(reader: PartitionReader, probe: Uint8Array): Promise<UsedMap> {
  if (isBitLocker(probe)) return allUsedMap('unknown', reader.size);
  if (isNtfsBootSector(probe)) return analyzeNtfs(reader, probe);
  if (isExt(probe)) return analyzeExt(reader, probe);
  if (isFat(probe)) return analyzeFat(reader, probe);
  if (isSwap(probe)) return swapUsedMap(reader.size);
  return allUsedMap('unknown', reader.size);
}

/**
 * Finds the filesystem of a partition by its superblock or boot sector and returns which bytes it
 * uses. Unknown and encrypted content counts as fully used. Corrupt structures throw
 * `CorruptFilesystemError`; a recognized filesystem using a feature we do not map falls back to
 * fully used, with `fallbackReason` saying why.
 */
export async function analyzePartition(disk: DiskReader, partition: PartitionInfo): Promise<UsedMap> {
  const reader = new PartitionReader(disk, partition);
  const probe = new Uint8Array(PROBE_BYTES);
  const probeLength = Math.min(PROBE_BYTES, partition.size);
  if (partition.start < 0 || partition.size < 0 || partition.start + partition.size > disk.size) {
    throw new CorruptFilesystemError(
      'unknown',
      'PARTITION_OUTSIDE_DISK',
      `partition ${partition.number} ends past the disk`,
    );
  }
  await disk.readAt(probe, partition.start, probeLength);
  try {
    return await detectAndMap(reader, probe);
  } catch (err) {
    if (err instanceof UnsupportedFilesystemError) return allUsedMap(err.fs, reader.size, err.message);
    throw err;
  }
}
