/**
 * The image store as the data plane uses it: one shared reader, one writer per capture (so a
 * capture's flush and a failed fsync concern that capture only). Upload bodies are held in memory
 * (capture-handlers.ts); the `staging/` directory of servers before that is removed at start.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  type ChunkReadOptions,
  type HeldFile,
  type LocalImageStore,
  openLocalStore,
} from '../imaging/index.ts';

export const STAGING = 'staging';

export class TransferStore {
  readonly root: string;
  private readonly reader: LocalImageStore;
  private readonly writers = new Map<string, LocalImageStore>();
  readonly ready: Promise<void>;

  constructor(root: string) {
    this.root = root;
    this.reader = openLocalStore(root);
    this.ready = fs.rm(join(root, STAGING), { recursive: true, force: true }).then(() => undefined);
  }

  read(hash: string): Promise<Uint8Array> {
    return this.reader.chunks.getCompressed(hash);
  }

  /** Reads the chunk into `into`: its length, -1 when it does not fit; ChunkNotFoundError if absent. */
  readInto(hash: string, into: Uint8Array, options?: ChunkReadOptions): Promise<number> {
    return this.reader.chunks.getCompressedInto(hash, into, options);
  }

  /** Opens the chunk and holds it open for reads into pooled buffers; ChunkNotFoundError if absent. */
  open(hash: string, options?: ChunkReadOptions): Promise<HeldFile> {
    return this.reader.chunks.openCompressed(hash, options);
  }

  has(hash: string): Promise<boolean> {
    return this.reader.chunks.has(hash);
  }

  /** A buffer the store's chunk files are written from without the page cache, or null. */
  alignedBytes(size: number): Uint8Array | null {
    return this.reader.chunks.alignedBytes(size);
  }

  writer(taskId: string): LocalImageStore {
    let store = this.writers.get(taskId);
    if (!store) {
      store = openLocalStore(this.root);
      this.writers.set(taskId, store);
    }
    return store;
  }

  /** Forgets the capture's writer and removes its staging directory. */
  async release(taskId: string): Promise<void> {
    this.writers.delete(taskId);
    await fs.rm(join(this.root, STAGING, taskId), { recursive: true, force: true });
  }

  stagingDir(taskId: string): string {
    return join(this.root, STAGING, taskId);
  }
}
