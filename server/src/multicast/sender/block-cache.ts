/**
 * Stored blocks held in memory for sending: the main pass block, the next ones (read ahead) and
 * recently sent ones that repairs ask for again. Bounded by count; loads are deduplicated.
 *
 * Buffers are reused when the source can read into them: a fresh ~0.5 MB buffer per block cost
 * the sender page faults and GC for every block sent (a sixth of its user CPU in a profile). An
 * evicted buffer is reused only when nothing may still send from it (`mayReuse`: not the block
 * the main pass is sending, no datagram waiting in the socket's queue); otherwise it is dropped.
 */
import type { BlockSource } from './ports.ts';

export class BlockReadError extends Error {
  readonly code = 'BLOCK_READ';
}

/** Free buffers kept beyond the cache's capacity. */
const SPARE_BUFFERS = 4;

export interface BlockCacheHooks {
  readonly onLoaded: () => void;
  readonly onError: (error: Error) => void;
  /** True when no datagram can still reference `data` (it may then hold another block). */
  readonly mayReuse: (data: Uint8Array) => boolean;
}

export class BlockCache {
  private readonly blocks = new Map<number, Uint8Array>();
  private readonly loading = new Set<number>();
  private readonly spare: Buffer[] = [];
  private readonly bufferBytes: number;

  private readonly source: BlockSource;
  private readonly capacity: number;
  private readonly hooks: BlockCacheHooks;

  constructor(source: BlockSource, capacity: number, hooks: BlockCacheHooks) {
    this.source = source;
    this.capacity = capacity;
    this.hooks = hooks;
    let max = 0;
    for (let i = 0; i < source.blockCount; i++) max = Math.max(max, source.block(i).storedSize);
    this.bufferBytes = max;
  }

  /** The block if it is in memory (and marks it recently used), else starts loading it. */
  get(index: number): Uint8Array | undefined {
    const b = this.blocks.get(index);
    if (b) {
      this.blocks.delete(index);
      this.blocks.set(index, b);
      return b;
    }
    this.load(index);
    return undefined;
  }

  load(index: number): void {
    if (this.blocks.has(index) || this.loading.has(index)) return;
    this.loading.add(index);
    const want = this.source.block(index).storedSize;
    this.read(index).then(
      (data) => {
        this.loading.delete(index);
        if (data.length !== want) {
          this.hooks.onError(
            new BlockReadError(`block ${index}: read ${data.length} stored bytes, manifest says ${want}`),
          );
          return;
        }
        this.blocks.set(index, data);
        while (this.blocks.size > this.capacity) this.evictOldest();
        this.hooks.onLoaded();
      },
      (error: unknown) => {
        this.loading.delete(index);
        this.hooks.onError(new BlockReadError(`block ${index}: ${(error as Error).message}`));
      },
    );
  }

  private async read(index: number): Promise<Uint8Array> {
    const into = this.source.readStoredInto;
    if (!into) return this.source.readStored(index);
    const buf = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.bufferBytes);
    const n = await into.call(this.source, index, buf);
    if (n < 0) return this.source.readStored(index);
    return buf.subarray(0, n);
  }

  private evictOldest(): void {
    const oldest = this.blocks.keys().next();
    if (oldest.done) return;
    const data = this.blocks.get(oldest.value);
    this.blocks.delete(oldest.value);
    if (!data || this.spare.length >= SPARE_BUFFERS || !this.hooks.mayReuse(data)) return;
    if (data.byteOffset === 0 && data.buffer.byteLength === this.bufferBytes)
      this.spare.push(Buffer.from(data.buffer, 0, this.bufferBytes));
  }
}
