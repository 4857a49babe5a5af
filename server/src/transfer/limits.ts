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
 * (rarely: workers allocate little), so buffers are recycled here, at most `keepBytes` idle.
 * Every body up to a 1 MiB block's zstd bound gets a buffer of one size (BODY_CLASS), so any idle
 * buffer fits the next body: with buffers sized to each body, a body that found no idle buffer
 * large enough got a new one and an idle one was dropped (garbage until the next collection; the
 * server's peak grew 50-60 MiB with an 8 MiB budget). Callers budget `sizeFor(length)` bytes.
 */
export class SharedBuffers {
  /** Idle buffers, each as its whole usable view (it may start inside its shared buffer). */
  private readonly free: Uint8Array[] = [];
  private idleBytes = 0;
  private readonly keepBytes: number;
  /** Where new buffers come from: the chunk store's aligned ones (O_DIRECT writes) when set. */
  private alloc: (size: number) => Uint8Array | null = () => null;
  constructor(keepBytes: number) {
    this.keepBytes = keepBytes;
  }
  /**
   * New buffers from `alloc` (a chunk store's `alignedBytes`: its files are then written from
   * them without the page cache); plain shared buffers where it gives none.
   */
  allocateWith(alloc: (size: number) => Uint8Array | null): void {
    this.alloc = alloc;
  }
  /** The buffer size a body of `size` bytes takes. */
  sizeFor(size: number): number {
    return size <= BODY_CLASS ? BODY_CLASS : Math.ceil(size / ROUND) * ROUND;
  }
  /** A view of exactly `size` bytes (contents undefined), the start of a `sizeFor(size)` buffer. */
  take(size: number): Uint8Array {
    const want = this.sizeFor(size);
    const i = this.free.findIndex((b) => b.length === want);
    if (i >= 0) {
      const whole = this.free.splice(i, 1)[0] as Uint8Array;
      this.idleBytes -= whole.length;
      return whole.subarray(0, size);
    }
    const whole = this.alloc(want) ?? new Uint8Array(new SharedArrayBuffer(want));
    wholeViews.set(whole.buffer, whole);
    return whole.subarray(0, size);
  }
  /** Returns a view's buffer once nothing uses it any more. */
  give(view: Uint8Array): void {
    const whole = wholeViews.get(view.buffer);
    if (whole === undefined || this.idleBytes + whole.length > this.keepBytes) return;
    this.free.push(whole);
    this.idleBytes += whole.length;
  }
}

/** The whole usable view of every buffer SharedBuffers made, by its backing buffer. */
const wholeViews = new WeakMap<ArrayBufferLike, Uint8Array>();

/** Larger bodies (blocks over 1 MiB) get buffers in 64 KiB steps. */
const ROUND = 64 * 1024;
/** A 1 MiB block's largest zstd frame (its bound, 1 MiB + 4 KiB) with headroom. */
const BODY_CLASS = 1024 * 1024 + ROUND;

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
  /** Where new buffers come from: the chunk store's aligned ones (O_DIRECT reads) when set. */
  private alloc: (size: number) => Uint8Array | null = () => null;
  constructor(size: number, keep: number) {
    this.size = size;
    this.keep = keep;
  }
  /** New buffers from `alloc` (a chunk store's `alignedBytes`); plain ones where it gives none. */
  allocateWith(alloc: (size: number) => Uint8Array | null): void {
    this.alloc = alloc;
  }
  take(): Buffer {
    const idle = this.free.pop();
    if (idle) return idle;
    const aligned = this.alloc(this.size);
    return aligned
      ? Buffer.from(aligned.buffer, aligned.byteOffset, aligned.length)
      : Buffer.allocUnsafeSlow(this.size);
  }
  /** Only for a buffer nothing (no pending socket write) references any more. */
  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.free.length < this.keep) this.free.push(buffer);
  }
}
