/**
 * File operations that stay inside a store directory: every directory component below the root is
 * lstat-checked (a symlink is refused, never followed), files are opened with O_NOFOLLOW, and
 * writes go temp → fsync → rename so a reader never sees a partial file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, promises as fs, fstatSync, open, read, readlinkSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type DirectAligner, roundUp } from '../disk/direct-io.ts';
import { UnsafeStorePathError } from './chunk-store.ts';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_DIRECT } = constants;

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

/** Walks `parts` below `root`, creating missing directories; refuses symlinks and non-directories. */
export async function ensureDir(root: string, parts: readonly string[]): Promise<string> {
  // The root itself is the operator's choice (it may be a symlink); only what is below is checked.
  await fs.mkdir(root, { recursive: true });
  let dir = root;
  for (const part of parts) {
    dir = join(dir, part);
    try {
      await fs.mkdir(dir);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
    const st = await fs.lstat(dir);
    if (!st.isDirectory()) throw new UnsafeStorePathError(dir, 'not a directory (symlink?)');
  }
  return dir;
}

/** mkdir that says whether it made the directory (false: something already had that name). */
export async function mkdirFresh(dir: string): Promise<boolean> {
  try {
    await fs.mkdir(dir);
    return true;
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false;
    throw error;
  }
}

/** Like ensureDir without creating: null when a component is missing. */
export async function existingDir(root: string, parts: readonly string[]): Promise<string | null> {
  let dir = root;
  for (const part of parts) {
    dir = join(dir, part);
    const st = await lstatOrNull(dir);
    if (st === null) return null;
    if (!st.isDirectory()) throw new UnsafeStorePathError(dir, 'not a directory (symlink?)');
  }
  return dir;
}

export async function lstatOrNull(path: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fs.lstat(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
}

/** Reads a regular file without following a symlink in its last component. */
export async function readFileNoFollow(path: string): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, O_RDONLY | O_NOFOLLOW);
  } catch (error) {
    if (isErrno(error, 'ELOOP')) throw new UnsafeStorePathError(path, 'is a symlink');
    throw error;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new UnsafeStorePathError(path, 'not a regular file');
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Temp names start with a dot and end in .tmp: listings skip them, GC sweeps stale ones. */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

/**
 * Writes `data` to dir/name atomically: a fresh temp file (O_EXCL|O_NOFOLLOW), fsync, rename.
 * The directory fsync is left to the caller (`syncDir`) so many files can share one.
 */
export async function writeFileAtomic(dir: string, name: string, data: Uint8Array, syncDir = true) {
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, join(dir, name));
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  if (syncDir) await fsyncDir(dir);
}

/**
 * The first half of an atomic write: `data` in a fresh temp file next to `name` (O_EXCL,
 * O_NOFOLLOW), left open and unsynced for a GroupCommitter to fsync and rename. With an aligner
 * whose probe accepted `data`'s buffer (and room after it up to the next `align` boundary), the
 * file is written with O_DIRECT, padded to that boundary and cut back to `data.length`: chunk
 * bytes skip the page cache, which on the lab's VMs costs more CPU than the hashing.
 */
export async function writeTemp(dir: string, name: string, data: Uint8Array, aligner?: DirectAligner | null) {
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const padded = aligner ? roundUp(data.length, aligner.align) : 0;
  const direct =
    aligner?.aligned(data) === true && data.byteOffset + padded <= data.buffer.byteLength && padded > 0;
  const flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | (direct ? O_DIRECT : 0);
  const handle = await fs.open(temp, flags, 0o644);
  try {
    if (direct) {
      await writeAll(handle, new Uint8Array(data.buffer, data.byteOffset, padded));
      await handle.truncate(data.length);
    } else {
      await handle.writeFile(data);
    }
  } catch (error) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw error;
  }
  return { handle, temp, target: join(dir, name), dir };
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, done);
    if (bytesWritten === 0) throw new Error(`no progress writing ${bytes.length} bytes`);
    done += bytesWritten;
  }
}

/**
 * Reads `root/parts.../name` with one check instead of an lstat per component: open with
 * O_NOFOLLOW, then ask the kernel where the descriptor really points (/proc/self/fd) and refuse
 * anything that is not exactly the expected path under the real root (a symlinked directory on
 * the way shows up there). Null when the file does not exist. Falls back to the lstat walk
 * where /proc is missing.
 */
export async function readInside(
  realRoot: string,
  parts: readonly string[],
  name: string,
): Promise<Buffer | null> {
  return withCheckedFile(realRoot, parts, name, async (fd, size) => {
    const buf = Buffer.allocUnsafe(size);
    return buf.subarray(0, await readUpTo(fd, buf, size));
  });
}

/**
 * Like readInside, into the caller's buffer (a deploy's shared block buffer: no allocation, no
 * copy to the worker). The byte count, -1 when the file does not fit, null when it does not exist.
 *
 * With `direct` (the aligner the store writes its files with) and `into` from its `alignedBytes`,
 * a whole number of its units long, the file is read with O_DIRECT: the size rounded up to the
 * unit, the kernel stopping at the end of the file. A file system that refuses (EINVAL) is read
 * through the page cache instead.
 */
export async function readInsideInto(
  realRoot: string,
  parts: readonly string[],
  name: string,
  into: Uint8Array,
  direct?: DirectAligner | null,
): Promise<number | null> {
  const unit = direct?.aligned(into) === true && into.length % direct.align === 0 ? direct.align : 0;
  const read = async (fd: number, size: number) => (size > into.length ? -1 : readUpTo(fd, into, size, unit));
  if (unit === 0) return withCheckedFile(realRoot, parts, name, read);
  try {
    return await withCheckedFile(realRoot, parts, name, read, O_DIRECT);
  } catch (error) {
    if (!isErrno(error, 'EINVAL')) throw error;
    return withCheckedFile(realRoot, parts, name, read);
  }
}

/** Reads `size` bytes from the start; with a direct `unit`, in requests rounded up to it. */
async function readUpTo(fd: number, into: Uint8Array, size: number, unit = 0): Promise<number> {
  const end = unit > 0 ? roundUp(size, unit) : size;
  let done = 0;
  while (done < size) {
    const bytesRead = await readFd(fd, into, done, end - done, done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  // A file that grew after its size was taken (never a chunk: they are written once) is cut.
  return Math.min(done, size);
}

/**
 * Opens root/parts.../name with the checks described at readInside and hands it to `use`.
 *
 * Only the open and the reads go to libuv's thread pool: they can wait on the disk. The real-path
 * check (a readlink in /proc), the fstat of the open descriptor and the close of a read-only one
 * never do, and done synchronously they spare three pool round trips per file; a round trip costs
 * ~70 us of CPU on the lab's VMs (a cross-CPU wake-up each way; bench/README.md, session 8), and
 * a deploy reads ~1 400 chunk files per 1.5 GB. A raw descriptor rather than a FileHandle, so the
 * close can be synchronous too.
 */
async function withCheckedFile<T>(
  realRoot: string,
  parts: readonly string[],
  name: string,
  use: (fd: number, size: number) => Promise<T>,
  extraFlags = 0,
): Promise<T | null> {
  const file = await openChecked(realRoot, parts, name, extraFlags);
  if (file === null) return null;
  try {
    return await use(file.fd, file.size);
  } finally {
    closeSync(file.fd);
  }
}

/** Opens root/parts.../name with the checks of readInside: its descriptor and size, null if absent. */
async function openChecked(
  realRoot: string,
  parts: readonly string[],
  name: string,
  extraFlags: number,
): Promise<{ fd: number; size: number } | null> {
  const expected = join(realRoot, ...parts, name);
  let fd: number;
  try {
    fd = await openFd(expected, O_RDONLY | O_NOFOLLOW | extraFlags);
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return null;
    if (isErrno(error, 'ELOOP')) throw new UnsafeStorePathError(expected, 'is a symlink');
    throw error;
  }
  try {
    let actual: string | null = null;
    try {
      actual = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // No /proc: the lstat walk below.
    }
    if (actual === null) {
      if ((await existingDir(realRoot, parts)) === null) {
        closeSync(fd);
        return null;
      }
    } else if (actual !== expected) {
      throw new UnsafeStorePathError(expected, `resolves to ${actual}`);
    }
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnsafeStorePathError(expected, 'not a regular file');
    return { fd, size: st.size };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** A store file opened and checked as readInside does, held open until `close`. */
export interface HeldFile {
  readonly size: number;
  /**
   * Reads the whole file into `into`: its length, or -1 when it does not fit. A file opened
   * direct needs `into` from the aligner it was opened with, a whole number of its units long.
   */
  readInto(into: Uint8Array): Promise<number>;
  close(): void;
}

/**
 * Opens root/parts.../name (the checks of readInside) and holds it open, so that several files'
 * sizes are known before any is read (a response listing their lengths ahead of their bytes).
 * With `direct`, reads bypass the page cache (O_DIRECT; a file system refusing it is read
 * through the cache). Null when the file is absent.
 */
export async function openInside(
  realRoot: string,
  parts: readonly string[],
  name: string,
  direct?: DirectAligner | null,
): Promise<HeldFile | null> {
  let unit = 0;
  let file: { fd: number; size: number } | null = null;
  let tried = false;
  if (direct) {
    try {
      file = await openChecked(realRoot, parts, name, O_DIRECT);
      unit = direct.align;
      tried = true;
    } catch (error) {
      if (!isErrno(error, 'EINVAL')) throw error;
    }
  }
  if (!tried) file = await openChecked(realRoot, parts, name, 0);
  if (file === null) return null;
  const { fd, size } = file;
  let open = true;
  return {
    size,
    async readInto(into) {
      if (size > into.length) return -1;
      if (unit > 0 && !(direct?.aligned(into) === true && into.length % unit === 0))
        throw new TypeError('a direct read needs an aligned buffer of whole units');
      return readUpTo(fd, into, size, unit);
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

const openFd = promisify(open);

function readFd(fd: number, into: Uint8Array, at: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, into, at, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))),
  );
}
