import { write as fsWrite } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import type { DiskIdentity, DiskWriter } from '../layout-types.ts';
import { type DirectTarget, openDirect } from './direct-io.ts';
import { DiskAccessError } from './disk-errors.ts';
import { readSysfsBlockInfo, SYSFS_BLOCK_ROOT } from './sysfs-identity.ts';

/** Sector size assumed for regular image files, which carry no geometry of their own. */
export const IMAGE_FILE_SECTOR_SIZE = 512;

export interface OpenDiskOptions {
  readonly write?: boolean;
  /**
   * Writes that fit O_DIRECT's alignment bypass the page cache (default: on when writing;
   * direct-io.ts says why). Off, or where the file system refuses it, every write is buffered.
   */
  readonly direct?: boolean;
  /** Overrides `/sys/class/block` (tests). */
  readonly sysfsRoot?: string;
}

export interface DiskDescription {
  readonly path: string;
  readonly size: number;
  readonly sectorSize: number;
  readonly isBlockDevice: boolean;
  readonly identity: DiskIdentity;
}

export type OpenedDisk = DiskWriter & {
  readonly identity: DiskIdentity;
  readonly isBlockDevice: boolean;
  close(): Promise<void>;
};

/** Size, sector size and identity of a disk or image file, without keeping it open. */
export async function describeDisk(
  path: string,
  opts: { sysfsRoot?: string } = {},
): Promise<DiskDescription> {
  const st = await stat(path);
  if (st.isFile()) {
    return { path, size: st.size, sectorSize: IMAGE_FILE_SECTOR_SIZE, isBlockDevice: false, identity: {} };
  }
  if (!st.isBlockDevice()) {
    throw new DiskAccessError('NOT_A_DISK', path, 'neither a regular file nor a block device');
  }
  const info = await readSysfsBlockInfo(path, opts.sysfsRoot ?? SYSFS_BLOCK_ROOT);
  if (info.sizeBytes === undefined) {
    throw new DiskAccessError('NOT_A_DISK', path, 'block device without a size in sysfs');
  }
  return {
    path,
    size: info.sizeBytes,
    sectorSize: info.logicalSectorSize ?? IMAGE_FILE_SECTOR_SIZE,
    isBlockDevice: true,
    identity: info.identity,
  };
}

function checkRange(path: string, size: number, buffer: Uint8Array, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new DiskAccessError('OUT_OF_RANGE', path, `invalid range offset=${offset} length=${length}`);
  }
  if (length > buffer.length) {
    throw new DiskAccessError('OUT_OF_RANGE', path, `length ${length} exceeds buffer of ${buffer.length}`);
  }
  if (offset + length > size) {
    throw new DiskAccessError(
      'OUT_OF_RANGE',
      path,
      `range [${offset}, ${offset + length}) past disk end ${size}`,
    );
  }
}

async function readFully(fh: FileHandle, path: string, buffer: Uint8Array, offset: number, length: number) {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buffer, done, length - done, offset + done);
    if (bytesRead === 0) {
      throw new DiskAccessError(
        'SHORT_READ',
        path,
        `end of file at ${offset + done}, wanted ${offset + length}`,
      );
    }
    done += bytesRead;
  }
}

/** Writes all of `buffer[0..length)` at `offset`, starting at byte `from` (after a short direct write). */
async function writeFully(
  fh: FileHandle,
  path: string,
  buffer: Uint8Array,
  offset: number,
  length: number,
  from = 0,
) {
  let done = from;
  while (done < length) {
    const { bytesWritten } = await fh.write(buffer, done, length - done, offset + done);
    if (bytesWritten === 0) {
      throw new DiskAccessError('SHORT_WRITE', path, `no progress writing at ${offset + done}`);
    }
    done += bytesWritten;
  }
}

/**
 * Opens a raw disk image file or a block device for positioned access. Writes are refused unless
 * opened with `write: true`; every access is bounds-checked against the disk size.
 */
export async function openDisk(path: string, opts: OpenDiskOptions = {}): Promise<OpenedDisk> {
  const desc = await describeDisk(path, opts.sysfsRoot === undefined ? {} : { sysfsRoot: opts.sysfsRoot });
  const fh = await open(path, opts.write ? 'r+' : 'r');
  const { size, sectorSize } = desc;
  let direct: DirectTarget | null = null;
  if (opts.write && (opts.direct ?? true)) {
    try {
      direct = openDirect(path, desc.isBlockDevice, sectorSize);
    } catch (error) {
      await fh.close();
      throw error;
    }
  }
  /** Direct when the buffer, offset and length allow it; what a direct write left undone, buffered. */
  async function write(buffer: Uint8Array, offset: number, length: number) {
    let done = 0;
    if (direct?.accepts(buffer, offset, length)) {
      try {
        done = await directWrite(direct.fd, buffer, offset, length);
      } catch (error) {
        // Refused after all (a file system that changed its mind): buffered from now on.
        if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
        direct.close();
        direct = null;
      }
    }
    await writeFully(fh, path, buffer, offset, length, done);
  }
  return {
    path,
    size,
    sectorSize,
    identity: desc.identity,
    isBlockDevice: desc.isBlockDevice,
    async readAt(buffer, offset, length = buffer.length) {
      checkRange(path, size, buffer, offset, length);
      await readFully(fh, path, buffer, offset, length);
    },
    async writeAt(buffer, offset, length = buffer.length) {
      if (!opts.write) throw new DiskAccessError('READ_ONLY', path, 'disk opened read-only');
      checkRange(path, size, buffer, offset, length);
      await write(buffer, offset, length);
    },
    alignedBytes: (n) => direct?.alignedBytes(n) ?? null,
    async sync() {
      // fsync is per file: it covers the direct descriptor's writes and their allocations too.
      if (opts.write) await fh.sync();
    },
    async close() {
      direct?.close();
      direct = null;
      await fh.close();
    },
  };
}

/** One pwrite on the direct descriptor (libuv's pool, like FileHandle); the bytes it wrote. */
function directWrite(fd: number, buffer: Uint8Array, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fsWrite(fd, buffer, 0, length, offset, (error, written) => (error ? reject(error) : resolve(written)));
  });
}
