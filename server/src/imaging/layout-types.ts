/**
 * The contract between the disk readers (partition tables, filesystem used-block maps) and the
 * block pipeline (capture, deploy). Offsets and lengths are bytes as JS numbers (safe up to 8 PiB).
 */

/** A half-open byte range [offset, offset + length). */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/** Positioned random access to a block device or a raw disk image file. */
export interface DiskReader {
  readonly path: string;
  readonly size: number;
  readonly sectorSize: number;
  /** Reads exactly `length` bytes at `offset` into `buffer[0..length)`; past the end is a typed error. */
  readAt(buffer: Uint8Array, offset: number, length?: number): Promise<void>;
  /**
   * A fresh shared buffer view of `size` bytes that this disk can read or write without the page
   * cache (O_DIRECT's address alignment), or null: any buffer works, this one only faster.
   */
  alignedBytes?(size: number): Uint8Array | null;
}

export interface DiskWriter extends DiskReader {
  writeAt(buffer: Uint8Array, offset: number, length?: number): Promise<void>;
  sync(): Promise<void>;
}

/** What the OS tells about a disk; every field optional because image files tell nothing. */
export interface DiskIdentity {
  readonly model?: string;
  readonly serial?: string;
  readonly removable?: boolean;
  readonly rotational?: boolean;
}

export type PartitionTableKind = 'mbr' | 'gpt' | 'none';

export interface PartitionInfo {
  /**
   * 1-based partition number as the OS names it (sda1, p5 for the first logical). A disk without
   * a table (`table: 'none'`) has one pseudo-partition number 0 covering the whole disk, typeId 'none'.
   */
  readonly number: number;
  /** Absolute byte offset on the disk. */
  readonly start: number;
  readonly size: number;
  /** GPT type GUID (lowercase) or MBR type byte as `0x07`. */
  readonly typeId: string;
  readonly name?: string;
  readonly uuid?: string;
  readonly bootable?: boolean;
}

export interface DiskLayout {
  readonly table: PartitionTableKind;
  readonly diskSize: number;
  readonly sectorSize: number;
  readonly partitions: readonly PartitionInfo[];
  /**
   * Byte ranges that are not partition contents but must be restored for the disk to boot:
   * everything before the first partition (MBR boot code, tables, GPT primary area, gaps where
   * boot loaders live), extended boot records, the GPT backup entries and header. Sorted, disjoint.
   */
  readonly preservedRanges: readonly ByteRange[];
}

export type FsKind = 'ntfs' | 'ext2' | 'ext3' | 'ext4' | 'fat12' | 'fat16' | 'fat32' | 'swap' | 'unknown';

/**
 * Which bytes of a partition the filesystem uses. For `unknown` every byte counts as used (the
 * block pipeline then skips all-zero blocks itself).
 */
export interface UsedMap {
  readonly fs: FsKind;
  /** Allocation unit in bytes (cluster, block); the whole partition size for `unknown`. */
  readonly clusterSize: number;
  readonly totalClusters: number;
  readonly usedClusters: number;
  /**
   * Set when the filesystem was recognized but this reader could not map it (an unsupported
   * feature): every byte then counts as used, which is always safe.
   */
  readonly fallbackReason?: string;
  /** Used bytes as partition-relative ranges, sorted, merged, clipped to the partition size. */
  usedRanges(): ByteRange[];
  /** Partition-relative used sub-ranges that intersect [offset, offset + length), clipped to it. */
  usedWithin(offset: number, length: number): ByteRange[];
}
