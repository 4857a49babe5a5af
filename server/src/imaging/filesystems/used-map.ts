import type { ByteRange, FsKind, UsedMap } from '../layout-types.ts';
import { normalizeRanges } from '../partitions/byte-ranges.ts';
import { countBits, forEachSetRun } from './bitmap.ts';

export interface BitmapUsedMapInit {
  readonly fs: FsKind;
  readonly partitionSize: number;
  readonly clusterSize: number;
  readonly totalClusters: number;
  /** Bit i set = allocation unit i in use (LSB first); bits at or past totalClusters are ignored. */
  readonly bitmap: Uint8Array;
  /** Partition offset of unit 0 (FAT: the data region, where cluster 2 lies). */
  readonly firstClusterOffset: number;
  /** Used bytes outside the bitmap (FAT tables, a backup boot sector), partition-relative. */
  readonly extraRanges: readonly ByteRange[];
  /** Defaults to the bitmap's population; ext adds the boot block before the first group. */
  readonly usedClusters?: number;
}

function clip(r: ByteRange, from: number, to: number): ByteRange | undefined {
  const start = Math.max(r.offset, from);
  const end = Math.min(r.offset + r.length, to);
  return end > start ? { offset: start, length: end - start } : undefined;
}

/** A used map backed by one bit per allocation unit, as the filesystem keeps it. */
export class BitmapUsedMap implements UsedMap {
  readonly fs: FsKind;
  readonly clusterSize: number;
  readonly totalClusters: number;
  readonly usedClusters: number;
  readonly #init: BitmapUsedMapInit;
  readonly #extras: ByteRange[];

  constructor(init: BitmapUsedMapInit) {
    this.fs = init.fs;
    this.clusterSize = init.clusterSize;
    this.totalClusters = init.totalClusters;
    this.usedClusters = init.usedClusters ?? countBits(init.bitmap, init.totalClusters);
    this.#init = init;
    this.#extras = normalizeRanges(
      init.extraRanges.map((r) => clip(r, 0, init.partitionSize)).filter((r) => r !== undefined),
    );
  }

  usedRanges(): ByteRange[] {
    return this.usedWithin(0, this.#init.partitionSize);
  }

  usedWithin(offset: number, length: number): ByteRange[] {
    const { bitmap, clusterSize, firstClusterOffset, totalClusters, partitionSize } = this.#init;
    const from = Math.max(0, offset);
    const to = Math.min(partitionSize, offset + length);
    if (to <= from) return [];
    const out: ByteRange[] = [];
    for (const r of this.#extras) {
      const c = clip(r, from, to);
      if (c !== undefined) out.push(c);
    }
    const firstBit = Math.max(0, Math.floor((from - firstClusterOffset) / clusterSize));
    const lastBit = Math.min(totalClusters, Math.ceil((to - firstClusterOffset) / clusterSize));
    forEachSetRun(bitmap, firstBit, lastBit, (s, e) => {
      const run = { offset: firstClusterOffset + s * clusterSize, length: (e - s) * clusterSize };
      const c = clip(run, from, to);
      if (c !== undefined) out.push(c);
    });
    return normalizeRanges(out);
  }
}

/** Every byte of the partition counts as used (unknown or encrypted content, or a fallback). */
export function allUsedMap(fs: FsKind, partitionSize: number, fallbackReason?: string): UsedMap {
  const whole: ByteRange[] = partitionSize > 0 ? [{ offset: 0, length: partitionSize }] : [];
  const map: UsedMap & { fallbackReason?: string } = {
    fs,
    clusterSize: partitionSize,
    totalClusters: whole.length,
    usedClusters: whole.length,
    usedRanges: () => whole.map((r) => ({ ...r })),
    usedWithin: (offset, length) =>
      whole.map((r) => clip(r, offset, offset + length)).filter((r) => r !== undefined),
  };
  if (fallbackReason !== undefined) map.fallbackReason = fallbackReason;
  return map;
}
