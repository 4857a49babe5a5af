import type { DiskReader, FsKind, PartitionInfo } from '../layout-types.ts';
import { CorruptFilesystemError } from './filesystem-errors.ts';

/** A single metadata read above this is a corrupt size, not a real structure (a 64 TiB NTFS bitmap is 2 GiB). */
export const MAX_METADATA_READ = 512 * 1024 * 1024;

/** Partition-relative reads that refuse to leave the partition: parsers never read a neighbour. */
export class PartitionReader {
  readonly disk: DiskReader;
  readonly partition: PartitionInfo;
  readonly size: number;

  constructor(disk: DiskReader, partition: PartitionInfo) {
    this.disk = disk;
    this.partition = partition;
    this.size = partition.size;
  }

  async read(fs: FsKind, offset: number, length: number, what: string): Promise<Uint8Array> {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.size
    ) {
      throw new CorruptFilesystemError(
        fs,
        'OUT_OF_PARTITION',
        `${what} at [${offset}, +${length}) lies outside the partition of ${this.size} bytes`,
      );
    }
    if (length > MAX_METADATA_READ) {
      throw new CorruptFilesystemError(fs, 'IMPLAUSIBLE_SIZE', `${what} of ${length} bytes is implausible`);
    }
    const buf = new Uint8Array(length);
    await this.disk.readAt(buf, this.partition.start + offset, length);
    return buf;
  }
}
