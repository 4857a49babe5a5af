/**
 * Direct writes (O_DIRECT) for deploy targets. A deploy writes gigabytes it will not read again:
 * through the page cache every byte is copied into freshly allocated cache pages, which the
 * reference client (2 GB of RAM) must then evict, and which on the lab's VMs costs more CPU than
 * the whole decode (1.5 GB buffered: 1.5-5.7 CPU-s of kernel time; O_DIRECT: 0.07). Direct
 * writes go from our block buffer to the device; a read-back verify then reads the disk, not the
 * cache.
 *
 * O_DIRECT wants the memory address, the file offset and the length aligned. Offsets and lengths
 * are the caller's (blocks are MiB-aligned); the address is not visible from JavaScript, so it is
 * probed once per buffer: one small direct I/O per candidate start in a buffer allocated with
 * slack, on a probe that checks alignment (the block device itself, or a scratch file unlinked at
 * once beside an image file). Whatever does not fit (a table's few bytes, a buffer nobody probed)
 * goes through the page cache on a second descriptor, which the kernel keeps coherent.
 */

import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Address alignment the probe establishes (the usual DMA alignment: 512-byte sectors). */
const ADDRESS_ALIGN = 512;
/** Candidate starts are this far apart (V8's backing stores are at least 16-byte aligned). */
const PROBE_STEP = 16;
/** Offset and length granularity of direct writes to image files (safe for 4Kn devices too). */
export const FILE_DIRECT_ALIGN = 4096;

/** Where, in a probed buffer, the first address aligned for direct I/O is. */
const alignedStart = new WeakMap<ArrayBufferLike, number>();

/** One direct I/O of `view` (at offset 0) on the probe; false when the kernel says EINVAL. */
type ProbeIo = (view: Uint8Array) => boolean;

/** Buffers whose address O_DIRECT accepts, learnt by probing (see the top of this file). */
export interface DirectAligner {
  /** Offsets and lengths of direct transfers are multiples of this. */
  readonly align: number;
  /** A view of `size` bytes whose address direct transfers accept; null if the probe found none. */
  alignedBytes(size: number): Uint8Array | null;
  /** True when `buffer` starts at an address direct transfers accept. */
  aligned(buffer: Uint8Array): boolean;
  close(): void;
}

export interface DirectTarget extends DirectAligner {
  /** The O_DIRECT descriptor direct transfers go through. */
  readonly fd: number;
  /** True when a transfer of `length` bytes of `buffer` at `offset` can go direct. */
  accepts(buffer: Uint8Array, offset: number, length: number): boolean;
}

/** `n` rounded up to a multiple of `align`. */
export function roundUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

function isEinval(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EINVAL';
}

function probeOn(fd: number, op: 'read' | 'write'): ProbeIo {
  return (view) => {
    try {
      if (op === 'read') readSync(fd, view, 0, view.length, 0);
      else writeSync(fd, view, 0, view.length, 0);
      return true;
    } catch (error) {
      if (isEinval(error)) return false;
      throw error;
    }
  };
}

/** The first start in `buffer` (which has ADDRESS_ALIGN bytes of slack) the probe accepts. */
function findAlignedStart(buffer: SharedArrayBuffer, probe: ProbeIo, length: number): number | null {
  for (let at = 0; at < ADDRESS_ALIGN; at += PROBE_STEP) {
    if (probe(new Uint8Array(buffer, at, length))) return at;
  }
  return null;
}

const WASM_PAGE = 64 * 1024;

/**
 * Shared memory that starts on a page boundary, or null. JavaScript cannot ask for an aligned
 * SharedArrayBuffer, and malloc's usually start 16 bytes past one, so the probe settles on a
 * start 512 bytes aligned but not 4096: every direct transfer then spans one page more than its
 * length, in pieces the device must gather. On the Firecracker VMs CI runs on that made 1 MiB
 * direct writes ten times slower (8.2 s a GiB against 0.86 from a page-aligned buffer). A
 * WebAssembly memory is mapped by itself, so its buffer starts on a page (on a 64 KiB one).
 */
function pageAlignedShared(size: number): SharedArrayBuffer | null {
  const pages = Math.ceil(size / WASM_PAGE);
  try {
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    return memory.buffer as unknown as SharedArrayBuffer;
  } catch {
    // No room for another memory's address-space reservation: plain shared memory, probed.
    return null;
  }
}

function aligner(align: number, probe: ProbeIo, release: () => void): DirectAligner {
  return {
    align,
    alignedBytes(size) {
      // The probe transfers one `align` unit; the slack holds every candidate start.
      const total = Math.max(size, align) + ADDRESS_ALIGN;
      const buffer = pageAlignedShared(total) ?? new SharedArrayBuffer(total);
      const at = findAlignedStart(buffer, probe, align);
      if (at === null) return null;
      alignedStart.set(buffer, at);
      return new Uint8Array(buffer, at, size);
    },
    aligned(buffer) {
      const start = alignedStart.get(buffer.buffer);
      return start !== undefined && (buffer.byteOffset - start) % ADDRESS_ALIGN === 0;
    },
    close: release,
  };
}

function directTarget(fd: number, a: DirectAligner): DirectTarget {
  return {
    ...a,
    fd,
    accepts: (buffer, offset, length) =>
      offset % a.align === 0 && length % a.align === 0 && a.aligned(buffer),
    close() {
      a.close();
      closeSync(fd);
    },
  };
}

/**
 * A direct descriptor for a disk, or null where the file system refuses O_DIRECT (the caller
 * then goes through the page cache only).
 */
export function openDirect(
  path: string,
  isBlockDevice: boolean,
  sectorSize: number,
  writable: boolean,
): DirectTarget | null {
  let fd: number;
  try {
    fd = openSync(path, (writable ? constants.O_RDWR : constants.O_RDONLY) | constants.O_DIRECT);
  } catch (error) {
    if (isEinval(error)) return null;
    throw error;
  }
  if (isBlockDevice) {
    // Reading the first sector of a device is always a real transfer: it checks alignment.
    const a = aligner(Math.max(sectorSize, ADDRESS_ALIGN), probeOn(fd, 'read'), () => undefined);
    return directTarget(fd, a);
  }
  const a = directAlignerIn(dirname(path), basename(path));
  if (a === null) {
    closeSync(fd);
    return null;
  }
  return directTarget(fd, a);
}

/**
 * An aligner for files in `dir` (a chunk store writes its files there with O_DIRECT), or null
 * where that file system refuses O_DIRECT or the directory cannot be written.
 */
export function directAlignerIn(dir: string, label = 'brume'): DirectAligner | null {
  const probeFd = openProbeFile(dir, label);
  if (probeFd === null) return null;
  return aligner(FILE_DIRECT_ALIGN, probeOn(probeFd, 'write'), () => closeSync(probeFd));
}

/**
 * A scratch file in the directory of the files to write (same file system, so the same alignment rules), unlinked
 * as soon as it is open so nothing is left behind. A read of an image file could not probe:
 * reading a hole checks nothing.
 */
function openProbeFile(dir: string, label: string): number | null {
  const probePath = join(dir, `.${label}.${process.pid}.${randomBytes(4).toString('hex')}.dio-probe`);
  try {
    const fd = openSync(
      probePath,
      constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT,
      0o600,
    );
    unlinkSync(probePath);
    return fd;
  } catch {
    // Read-only directory, no O_DIRECT here: write through the page cache instead.
    return null;
  }
}
