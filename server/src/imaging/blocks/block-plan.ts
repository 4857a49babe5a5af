/**
 * Block planning: cuts each partition into fixed, aligned byte ranges and keeps only those that hold
 * used bytes. Blocks are aligned to the partition start (not the disk start) so the same filesystem
 * at another partition offset, or on another disk, yields the same blocks and deduplicates.
 */
import type { ByteRange, FsKind, PartitionInfo, UsedMap } from '../layout-types.ts';

export const MIB = 1024 * 1024;
/** Chosen by `npm run bench`: see bench/README.md. */
export const DEFAULT_BLOCK_SIZE = 1 * MIB;
export const MIN_BLOCK_SIZE = 64 * 1024;
export const MAX_BLOCK_SIZE = 64 * MIB;

export class InvalidBlockSizeError extends Error {
  readonly code = 'INVALID_BLOCK_SIZE';
  readonly blockSize: number;
  constructor(blockSize: number) {
    super(`block size ${blockSize} must be a power of two between ${MIN_BLOCK_SIZE} and ${MAX_BLOCK_SIZE}`);
    this.blockSize = blockSize;
  }
}

export interface PlannedBlock {
  /** Absolute byte offset on the disk. */
  readonly offset: number;
  readonly length: number;
  /** Partition number (as in PartitionInfo.number). */
  readonly partition: number;
  readonly fs: FsKind;
  /** Used sub-ranges, relative to the block start, sorted and disjoint; the rest is zeroed. */
  readonly used: readonly ByteRange[];
}

export function assertBlockSize(blockSize: number): void {
  const pow2 = Number.isInteger(blockSize) && blockSize > 0 && (blockSize & (blockSize - 1)) === 0;
  if (!pow2 || blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE) {
    throw new InvalidBlockSizeError(blockSize);
  }
}

/** Every block slot of a partition, in order: [k*B, min((k+1)*B, size)) relative to its start. */
export function* partitionSlots(partitionSize: number, blockSize: number): Generator<ByteRange> {
  for (let offset = 0; offset < partitionSize; offset += blockSize) {
    yield { offset, length: Math.min(blockSize, partitionSize - offset) };
  }
}

/** The blocks of one partition that hold at least one used byte, in disk order. */
export function* planPartitionBlocks(
  partition: PartitionInfo,
  usedMap: UsedMap,
  blockSize: number,
): Generator<PlannedBlock> {
  assertBlockSize(blockSize);
  for (const slot of partitionSlots(partition.size, blockSize)) {
    const within = usedMap.usedWithin(slot.offset, slot.length);
    if (within.length === 0) continue;
    yield {
      offset: partition.start + slot.offset,
      length: slot.length,
      partition: partition.number,
      fs: usedMap.fs,
      used: within.map((r) => ({ offset: r.offset - slot.offset, length: r.length })),
    };
  }
}

export interface PartitionPlanInput {
  readonly partition: PartitionInfo;
  readonly usedMap: UsedMap;
}

/** All blocks of all partitions, in disk order. */
export function planBlocks(parts: readonly PartitionPlanInput[], blockSize: number): PlannedBlock[] {
  const sorted = [...parts].sort((a, b) => a.partition.start - b.partition.start);
  return sorted.flatMap((p) => [...planPartitionBlocks(p.partition, p.usedMap, blockSize)]);
}

/** Bytes of a block that hold used data. */
export function usedBytesOf(block: PlannedBlock): number {
  return block.used.reduce((sum, r) => sum + r.length, 0);
}
