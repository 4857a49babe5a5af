/**
 * Stored blocks held in memory for sending: the main pass block, the next one (read ahead) and
 * recently sent ones that repairs ask for again. Bounded by count; loads are deduplicated.
 */
import type { BlockSource } from './ports.ts';

export class BlockReadError extends Error {
  readonly code = 'BLOCK_READ';
}

export class BlockCache {
  private readonly blocks = new Map<number, Uint8Array>();
  private readonly loading = new Set<number>();

  private readonly source: BlockSource;
  private readonly capacity: number;
  private readonly onLoaded: () => void;
  private readonly onError: (error: Error) => void;

  constructor(source: BlockSource, capacity: number, onLoaded: () => void, onError: (error: Error) => void) {
    this.source = source;
    this.capacity = capacity;
    this.onLoaded = onLoaded;
    this.onError = onError;
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
    this.source.readStored(index).then(
      (data) => {
        this.loading.delete(index);
        if (data.length !== want) {
          this.onError(
            new BlockReadError(`block ${index}: read ${data.length} stored bytes, manifest says ${want}`),
          );
          return;
        }
        this.blocks.set(index, data);
        while (this.blocks.size > this.capacity) {
          const oldest = this.blocks.keys().next().value;
          if (oldest === undefined) break;
          this.blocks.delete(oldest);
        }
        this.onLoaded();
      },
      (error: unknown) => {
        this.loading.delete(index);
        this.onError(new BlockReadError(`block ${index}: ${(error as Error).message}`));
      },
    );
  }
}
