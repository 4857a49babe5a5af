/** Concurrency and memory limits of the data plane: per-task request slots, queues, byte budgets. */
import { TransferError } from './transfer-errors.ts';

/** A counting semaphore that refuses instead of queueing (for per-task request limits). */
export class Slots {
  private readonly used = new Map<string, number>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  take(key: string): () => void {
    const n = this.used.get(key) ?? 0;
    if (n >= this.max) throw new TransferError('BUSY', `more than ${this.max} concurrent block requests`);
    this.used.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.used.get(key) ?? 1) - 1;
      if (left <= 0) this.used.delete(key);
      else this.used.set(key, left);
    };
  }
}

/** A counting semaphore that queues (for CPU-heavy verification). */
export class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/** Bytes held in memory at once (upload bodies being verified), waiting when the budget is spent. */
export class ByteBudget {
  private left: number;
  private readonly total: number;
  private readonly waiting: { bytes: number; resolve: () => void }[] = [];
  constructor(total: number) {
    this.total = total;
    this.left = total;
  }
  /** Takes `bytes` (at most the whole budget), waiting in turn; returns the release. */
  async take(bytes: number): Promise<() => void> {
    const n = Math.min(bytes, this.total);
    if (this.waiting.length > 0 || this.left < n) {
      await new Promise<void>((resolve) => this.waiting.push({ bytes: n, resolve }));
    } else this.left -= n;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.left += n;
      this.wake();
    };
  }
  private wake(): void {
    for (let next = this.waiting[0]; next && next.bytes <= this.left; next = this.waiting[0]) {
      this.waiting.shift();
      this.left -= next.bytes;
      next.resolve();
    }
  }
}

/**
 * Reusable SharedArrayBuffer-backed body buffers. Upload bodies are handed to the codec workers in
 * place; a fresh SharedArrayBuffer per body would stay alive until the worker's heap is collected
 * (rarely: workers allocate little), so buffers are recycled here, at most `keepBytes` idle. A body
 * takes the smallest idle buffer that fits it without wasting more than half.
 */
export class SharedBuffers {
  private readonly free: SharedArrayBuffer[] = [];
  private idleBytes = 0;
  private readonly keepBytes: number;
  constructor(keepBytes: number) {
    this.keepBytes = keepBytes;
  }
  /** A view of exactly `size` bytes (contents undefined). */
  take(size: number): Uint8Array {
    let best = -1;
    for (const [i, b] of this.free.entries()) {
      const fits = b.byteLength >= size && b.byteLength <= 2 * size + ROUND;
      if (fits && (best < 0 || b.byteLength < (this.free[best] as SharedArrayBuffer).byteLength)) best = i;
    }
    if (best < 0)
      return new Uint8Array(new SharedArrayBuffer(Math.ceil(size / ROUND) * ROUND || ROUND), 0, size);
    const buffer = this.free.splice(best, 1)[0] as SharedArrayBuffer;
    this.idleBytes -= buffer.byteLength;
    return new Uint8Array(buffer, 0, size);
  }
  /** Returns a view's buffer once nothing uses it any more. */
  give(view: Uint8Array): void {
    const buffer = view.buffer;
    if (!(buffer instanceof SharedArrayBuffer)) return;
    if (this.idleBytes + buffer.byteLength > this.keepBytes) return;
    this.free.push(buffer);
    this.idleBytes += buffer.byteLength;
  }
}

/** Buffers are allocated in 64 KiB steps so bodies of nearby sizes share them. */
const ROUND = 64 * 1024;

/**
 * Plain buffers of one size for chunk files a deploy serves: read into one, written to the
 * response, given back once the response has finished, so memory in use follows the requests in
 * flight instead of the garbage collector's pace (a fresh buffer per block piled up ~40 MiB
 * between collections). At most `keep` idle buffers are kept.
 */
export class ReadBuffers {
  readonly size: number;
  private readonly keep: number;
  private readonly free: Buffer[] = [];
  constructor(size: number, keep: number) {
    this.size = size;
    this.keep = keep;
  }
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }
  /** Only for a buffer nothing (no pending socket write) references any more. */
  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.free.length < this.keep) this.free.push(buffer);
  }
}
