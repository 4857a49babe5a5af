/**
 * Fragments to blocks, one buffer per partial block, with a byte budget: past it the least
 * recently touched partial block is evicted (the receiver will ask for it again, whole).
 *
 * Block buffers live in SharedArrayBuffers and are reused: a whole block goes to the codec's
 * worker without a copy (a shared view is not cloned by postMessage), and a 1 Gbit/s stream does
 * not allocate ~120 MB/s of fresh external memory (measured: GC and postMessage were a third of
 * a receiver's main-thread time). `release` gives a block's buffer back once it is written.
 */
import { copyBytes } from '../../imaging/copy-bytes.ts';

export interface PartialBlock {
  readonly buf: Buffer;
  readonly bits: Uint8Array;
  readonly fragCount: number;
  received: number;
  lastTouched: number;
}

/** Buffers kept for reuse beyond the partial blocks: the blocks queued for verification. */
const SPARE_BUFFERS = 16;

export class Reassembler {
  private readonly partials = new Map<number, PartialBlock>();
  /** Free block buffers of `bufferBytes` each (all buffers are that size, views are cut to the block). */
  private readonly spare: Buffer[] = [];
  private bytes = 0;
  evictions = 0;
  private readonly maxBytes: number;
  private readonly fragmentSize: number;
  private readonly bufferBytes: number;

  /** `maxStoredSize`: the largest stored block of the session (every buffer has that capacity). */
  constructor(maxBytes: number, fragmentSize: number, maxStoredSize = 0) {
    this.maxBytes = maxBytes;
    this.fragmentSize = fragmentSize;
    this.bufferBytes = maxStoredSize;
  }

  private take(length: number): Buffer {
    if (length > this.bufferBytes) return Buffer.from(new SharedArrayBuffer(length));
    const whole = this.spare.pop() ?? Buffer.from(new SharedArrayBuffer(this.bufferBytes));
    return whole.subarray(0, length);
  }

  /** A whole block's buffer is free again (written, or refused): it will hold another block. */
  release(buf: Uint8Array): void {
    if (!(buf.buffer instanceof SharedArrayBuffer) || buf.buffer.byteLength !== this.bufferBytes) return;
    if (this.spare.length < SPARE_BUFFERS) this.spare.push(Buffer.from(buf.buffer));
  }

  get(index: number): PartialBlock | undefined {
    return this.partials.get(index);
  }

  get size(): number {
    return this.partials.size;
  }

  /** Adds one fragment (already checked against the manifest); returns the block once whole. */
  add(
    index: number,
    storedLength: number,
    fragCount: number,
    fragIndex: number,
    src: Buffer,
    srcOffset: number,
    length: number,
    now: number,
  ): Buffer | null {
    let p = this.partials.get(index);
    if (!p) {
      this.makeRoom(storedLength);
      p = {
        buf: this.take(storedLength),
        bits: new Uint8Array(Math.ceil(fragCount / 8)),
        fragCount,
        received: 0,
        lastTouched: now,
      };
      this.partials.set(index, p);
      this.bytes += storedLength;
    }
    p.lastTouched = now;
    const mask = 1 << (fragIndex & 7);
    const byte = p.bits[fragIndex >> 3] ?? 0;
    if ((byte & mask) !== 0) return null;
    p.bits[fragIndex >> 3] = byte | mask;
    copyBytes(p.buf, fragIndex * this.fragmentSize, src.subarray(srcOffset, srcOffset + length));
    p.received++;
    if (p.received < p.fragCount) return null;
    this.delete(index, false);
    return p.buf;
  }

  /** Forgets a partial block; its buffer is reused unless it was handed out whole (`add`). */
  delete(index: number, reuse = true): void {
    const p = this.partials.get(index);
    if (!p) return;
    this.bytes -= p.buf.length;
    this.partials.delete(index);
    if (reuse) this.release(p.buf);
  }

  /** Missing fragment ranges [start, count) of a partial block. */
  missing(index: number): Array<[number, number]> {
    const p = this.partials.get(index);
    if (!p) return [];
    const out: Array<[number, number]> = [];
    let start = -1;
    for (let f = 0; f <= p.fragCount; f++) {
      const have = f < p.fragCount && ((p.bits[f >> 3] ?? 0) & (1 << (f & 7))) !== 0;
      const gap = f < p.fragCount && !have;
      if (gap && start < 0) start = f;
      if (!gap && start >= 0) {
        out.push([start, f - start]);
        start = -1;
      }
    }
    return out;
  }

  private makeRoom(need: number): void {
    while (this.bytes + need > this.maxBytes && this.partials.size > 0) {
      let oldest = -1;
      let oldestAt = Number.POSITIVE_INFINITY;
      for (const [i, p] of this.partials) {
        if (p.lastTouched < oldestAt) {
          oldest = i;
          oldestAt = p.lastTouched;
        }
      }
      this.delete(oldest);
      this.evictions++;
    }
  }
}
