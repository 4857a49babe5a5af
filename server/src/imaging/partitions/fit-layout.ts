import type { DiskLayout } from '../layout-types.ts';
import { PartitionTableError } from './partition-errors.ts';

export interface LayoutFit {
  /** The smallest target that holds every partition, the head area and (GPT) a backup at its end. */
  readonly minimumSize: number;
  /** GPT on a target of another size: the backup header and entries must be rewritten at its end. */
  readonly gptBackupMoves: boolean;
}

/** Bytes of the preserved ranges after the last partition: the GPT backup area (33 sectors by default). */
function gptBackupBytes(layout: DiskLayout, partitionEnd: number): number {
  const tail = layout.preservedRanges.filter((r) => r.offset >= partitionEnd && r.offset > 0);
  return tail.length === 0 ? 33 * layout.sectorSize : tail.reduce((n, r) => n + r.length, 0);
}

/**
 * Checks that a layout captured from one disk can be written to a target of `targetSize` bytes:
 * every partition and preserved head range fits, and for GPT the backup fits after the last
 * partition. Throws `PartitionTableError('DISK_TOO_SMALL')` when it does not.
 */
export function checkLayoutFits(layout: DiskLayout, targetSize: number): LayoutFit {
  const ss = layout.sectorSize;
  if (targetSize % ss !== 0) {
    throw new PartitionTableError('DISK_TOO_SMALL', `target size ${targetSize} is not a multiple of ${ss}`);
  }
  const partitionEnd = layout.partitions.reduce((m, p) => Math.max(m, p.start + p.size), 0);
  let minimumSize: number;
  if (layout.table === 'gpt') {
    minimumSize = partitionEnd + gptBackupBytes(layout, partitionEnd);
  } else {
    const preservedEnd = layout.preservedRanges.reduce((m, r) => Math.max(m, r.offset + r.length), 0);
    minimumSize = Math.max(partitionEnd, preservedEnd);
  }
  if (targetSize < minimumSize) {
    throw new PartitionTableError(
      'DISK_TOO_SMALL',
      `target of ${targetSize} bytes is smaller than the ${minimumSize} bytes the layout needs`,
    );
  }
  return { minimumSize, gptBackupMoves: layout.table === 'gpt' && targetSize !== layout.diskSize };
}
