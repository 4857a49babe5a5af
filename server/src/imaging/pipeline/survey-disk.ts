/** What a capture needs to know before reading blocks: the layout and each partition's used map. */
import type { PartitionPlanInput } from '../blocks/block-plan.ts';
import { analyzePartition } from '../filesystems/analyze-partition.ts';
import type { DiskLayout, DiskReader } from '../layout-types.ts';
import { readDiskLayout } from '../partitions/read-layout.ts';

export interface DiskSurvey {
  readonly layout: DiskLayout;
  readonly parts: readonly PartitionPlanInput[];
}

export class UnknownPartitionError extends Error {
  readonly code = 'UNKNOWN_PARTITION';
  readonly partition: number;
  constructor(partition: number) {
    super(`the disk has no partition ${partition}`);
    this.partition = partition;
  }
}

/** Reads the table and analyses the partitions (all, or only those numbered in `only`). */
export async function surveyDisk(disk: DiskReader, only?: readonly number[]): Promise<DiskSurvey> {
  const layout = await readDiskLayout(disk);
  for (const n of only ?? []) {
    if (!layout.partitions.some((p) => p.number === n)) throw new UnknownPartitionError(n);
  }
  const chosen = layout.partitions.filter((p) => only === undefined || only.includes(p.number));
  const parts: PartitionPlanInput[] = [];
  for (const partition of chosen) parts.push({ partition, usedMap: await analyzePartition(disk, partition) });
  return { layout, parts };
}
