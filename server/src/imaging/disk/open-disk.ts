import { read as fsRead, write as fsWrite } from 'node:fs';
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
   * Transfers that fit O_DIRECT's alignment (buffers from `alignedBytes`) bypass the page cache
   * (direct-io.ts says why). Default: on when writing, off for a read-only disk. Off, or where
   * the file system refuses it, everything goes through the page cache.
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

/**
 * Moves all of `buffer[0..length)` from or to `offset` through the page cache, starting at byte
 * `from` (what a direct transfer left). A read that reaches the end of the file, or a write that
 * makes no progress, is a typed error.
 */
async function transferFully(
  op: 'read' | 'write',
  fh: FileHandle,
  path: string,
  buffer: Uint8Array,
  offset: number,
  length: number,
  from: number,
) {
  for (let done = from; done < length; ) {
    const moved =
      op === 'read'
        ? (await fh.read(buffer, done, length - done, offset + done)).bytesRead
        : (await fh.write(buffer, done, length - done, offset + done)).bytesWritten;
    if (moved === 0 && op === 'read') {
      throw new DiskAccessError(
        'SHORT_READ',
        path,
        `end of file at ${offset + done}, wanted ${offset + length}`,
      );
    }
    if (moved === 0)
      throw new DiskAccessError('SHORT_WRITE', path, `no progress writing at ${offset + done}`);
    done += moved;
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
  let retired: DirectTarget | null = null;
  if (opts.direct ?? opts.write === true) {
    try {
      direct = openDirect(path, desc.isBlockDevice, sectorSize, opts.write === true);
    } catch (error) {
      await fh.close();
      throw error;
    }
  }
  /**
   * One direct transfer when the buffer, offset and length allow it: the bytes it moved (the
   * caller finishes through the page cache), 0 when it could not go direct.
   */
  async function tryDirect(op: 'read' | 'write', buffer: Uint8Array, offset: number, length: number) {
    if (!direct?.accepts(buffer, offset, length)) return 0;
    try {
      return await directIo(op, direct.fd, buffer, offset, length);
    } catch (error) {
      // Refused after all (a file system that changed its mind): buffered from now on. The
      // descriptor is closed with the disk, not now: other transfers may still be using it.
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
      retired = direct;
      direct = null;
      return 0;
    }
  }
  return {
    path,
    size,
    sectorSize,
    identity: desc.identity,
    isBlockDevice: desc.isBlockDevice,
    async readAt(buffer, offset, length = buffer.length) {
      checkRange(path, size, buffer, offset, length);
      const done = await tryDirect('read', buffer, offset, length);
      await transferFully('read', fh, path, buffer, offset, length, done);
    },
    async writeAt(buffer, offset, length = buffer.length) {
      if (!opts.write) throw new DiskAccessError('READ_ONLY', path, 'disk opened read-only');
      checkRange(path, size, buffer, offset, length);
      const done = await tryDirect('write', buffer, offset, length);
      await transferFully('write', fh, path, buffer, offset, length, done);
    },
    alignedBytes: (n) => direct?.alignedBytes(n) ?? null,
    async sync() {
      // fsync is per file: it covers the direct descriptor's writes and their allocations too.
      if (opts.write) await fh.sync();
    },
    async close() {
      direct?.close();
      retired?.close();
      direct = null;
      retired = null;
      await fh.close();
    },
  };
}

/** One pread or pwrite on the direct descriptor (libuv's pool, like FileHandle); the bytes moved. */
function directIo(op: 'read' | 'write', fd: number, buffer: Uint8Array, offset: number, length: number) {
  return new Promise<number>((resolve, reject) => {
    const done = (error: NodeJS.ErrnoException | null, moved: number) =>
      error ? reject(error) : resolve(moved);
    if (op === 'read') fsRead(fd, buffer, 0, length, offset, done);
    else fsWrite(fd, buffer, 0, length, offset, done);
  });
}
