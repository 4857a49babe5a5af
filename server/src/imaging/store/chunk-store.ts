/**
 * Layered chunk store interfaces, as in desync: readers, writers and pruners are separate so a
 * read-only HTTP backend or a write-only upload sink implements only what it can.
 * Every chunk is named by the sha256 of its uncompressed bytes and stored zstd-compressed.
 */

export interface ChunkReader {
  has(hash: string): Promise<boolean>;
  /** The uncompressed bytes, verified against the name (CorruptChunkError otherwise). */
  get(hash: string): Promise<Uint8Array>;
  /** The stored compressed bytes as they are (not verified: the caller decodes and verifies). */
  getCompressed(hash: string): Promise<Uint8Array>;
  /**
   * Optional: the stored compressed bytes read into `into` (a deploy's shared buffer: no
   * allocation, no copy to the worker); the byte count, or -1 when they do not fit `into`.
   */
  getCompressedInto?(hash: string, into: Uint8Array, options?: ChunkReadOptions): Promise<number>;
  /**
   * Optional: several chunks' stored bytes read back to back into `into` in one exchange (a
   * remote store pays its per-request cost once); each one's length, or null when they do not fit
   * `into` or the store cannot batch (the caller then reads them one by one).
   */
  getManyCompressedInto?(hashes: readonly string[], into: Uint8Array): Promise<readonly number[] | null>;
}

export interface ChunkReadOptions {
  /**
   * Read around the page cache where the store can (O_DIRECT into a buffer from its
   * `alignedBytes`): for a lone reader of bytes nobody will read again soon.
   */
  readonly direct?: boolean;
}

export interface PutResult {
  readonly hash: string;
  /** Compressed size as stored. */
  readonly storedSize: number;
  /** False when the store already held the chunk (nothing written). */
  readonly added: boolean;
}

/**
 * A chunk encoded in this process by `encodeChunk` (or a worker running the same code): the hash
 * was computed from the very bytes that were compressed, so the store trusts it without decoding.
 */
export interface EncodedChunk {
  readonly hash: string;
  readonly compressed: Uint8Array;
  readonly size: number;
}

export interface ChunkWriter {
  /** Hashes, compresses and stores uncompressed bytes. */
  put(data: Uint8Array): Promise<PutResult>;
  /** Stores a chunk produced by this process's encoder. */
  putEncoded(chunk: EncodedChunk): Promise<PutResult>;
  /**
   * True when putEncoded accepts `compressed` as a view of shared memory and is done reading it
   * once its promise settles (the capture then reuses one buffer per block in flight).
   */
  readonly sharedBytesOk?: boolean;
  /**
   * Optional: a shared buffer view of `size` bytes that putEncoded writes without the page cache
   * (O_DIRECT), or null. Any buffer is accepted; this one is only cheaper to store.
   */
  alignedBytes?(size: number): Uint8Array | null;
  /** Stores compressed bytes from elsewhere (a client upload): decoded and verified first. */
  putCompressed(hash: string, compressed: Uint8Array): Promise<PutResult>;
  /**
   * If the chunk is present, refreshes its age so a concurrent garbage collection keeps it (a
   * capture is about to reference it) and returns its stored size; null when absent.
   */
  keep(hash: string): Promise<PutResult | null>;
  /** Makes every chunk put so far durable; called before a manifest that references them. */
  flush(): Promise<void>;
}

export interface ChunkEntry {
  readonly hash: string;
  readonly storedSize: number;
  readonly mtimeMs: number;
}

export interface ChunkPruner {
  list(): AsyncIterable<ChunkEntry>;
  remove(hash: string): Promise<void>;
}

export type ChunkStore = ChunkReader & ChunkWriter & ChunkPruner;

export class CorruptChunkError extends Error {
  readonly code = 'CORRUPT_CHUNK';
  readonly hash: string;
  constructor(hash: string, detail: string) {
    super(`chunk ${hash} is corrupt: ${detail}`);
    this.hash = hash;
  }
}

export class ChunkNotFoundError extends Error {
  readonly code = 'CHUNK_NOT_FOUND';
  readonly hash: string;
  constructor(hash: string) {
    super(`chunk ${hash} is not in the store`);
    this.hash = hash;
  }
}

export class UnsafeStorePathError extends Error {
  readonly code = 'UNSAFE_STORE_PATH';
  readonly path: string;
  constructor(path: string, detail: string) {
    super(`refusing store path ${path}: ${detail}`);
    this.path = path;
  }
}
