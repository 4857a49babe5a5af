import type { FsKind } from '../layout-types.ts';

/** Structures that contradict each other or point outside the partition. */
export class CorruptFilesystemError extends Error {
  readonly code: string;
  readonly fs: FsKind;

  constructor(fs: FsKind, code: string, message: string) {
    super(`${fs}: ${message}`);
    this.name = 'CorruptFilesystemError';
    this.fs = fs;
    this.code = code;
  }
}

/**
 * A valid filesystem using a feature this reader does not map (ext4 bigalloc, an NTFS $Bitmap
 * spread over an attribute list). The caller then treats every byte as used, which is always safe.
 */
export class UnsupportedFilesystemError extends Error {
  readonly code: string;
  readonly fs: FsKind;

  constructor(fs: FsKind, code: string, message: string) {
    super(`${fs}: ${message}`);
    this.name = 'UnsupportedFilesystemError';
    this.fs = fs;
    this.code = code;
  }
}
