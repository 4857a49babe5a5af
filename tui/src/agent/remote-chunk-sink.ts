/**
 * The engine's ChunkSink over the data plane: `keep` asks the server whether it holds a chunk
 * (batched into one `missing` request per few milliseconds), `putEncoded` uploads one block.
 */
import type { ChunkSink, EncodedChunk, PutResult } from '@brume/server/imaging';
import type { TransferClient } from './transfer-client.ts';

const BATCH = 256;
const WAIT_MS = 3;

type Waiter = { hash: string; resolve: (r: PutResult | null) => void; reject: (e: unknown) => void };

export class RemoteChunkSink {
  private readonly client: TransferClient;
  private readonly signal: AbortSignal | undefined;
  private queue: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Compressed bytes uploaded (what went over the wire). */
  bytesUploaded = 0;

  constructor(client: TransferClient, signal?: AbortSignal) {
    this.client = client;
    this.signal = signal;
  }

  keep(hash: string): Promise<PutResult | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ hash, resolve, reject });
      if (this.queue.length >= BATCH) this.ask();
      else this.timer ??= setTimeout(() => this.ask(), WAIT_MS);
    });
  }

  private ask(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue.splice(0, BATCH);
    if (batch.length === 0) return;
    const hashes = [...new Set(batch.map((w) => w.hash))];
    this.client
      // Blocks wait on this answer as on their uploads: the same limit on a silent server.
      .blockJson<{ present: Record<string, number> }>('/v1/capture/missing', {
        json: { hashes },
        ...(this.signal ? { signal: this.signal } : {}),
      })
      .then(({ present }) => {
        for (const w of batch) {
          const size = present[w.hash];
          w.resolve(size === undefined ? null : { hash: w.hash, storedSize: size, added: false });
        }
      })
      .catch((error: unknown) => {
        for (const w of batch) w.reject(error);
      });
  }

  /** A sink for one block: uploads name the block so the server reports it as it arrives. */
  forBlock(index: number, options: { forceUpload?: boolean } = {}): ChunkSink {
    return {
      keep: (hash) => (options.forceUpload ? Promise.resolve(null) : this.keep(hash)),
      putEncoded: (chunk) => this.put(chunk, index),
      // put() resolves only once the server has answered, so the whole body was sent by then: the
      // engine may hand a view of its reused shared output slot (no array per block). A body torn
      // by an aborted request is refused by the server's hash check, never stored.
      sharedBytesOk: true,
    };
  }

  async put(chunk: EncodedChunk, index: number): Promise<PutResult> {
    const res = await this.client.blockJson<{ storedSize: number; added: boolean }>(
      `/v1/capture/blocks/${chunk.hash}`,
      {
        method: 'PUT',
        body: chunk.compressed,
        headers: { 'brume-block': String(index), 'brume-block-bytes': String(chunk.size) },
        ...(this.signal ? { signal: this.signal } : {}),
      },
    );
    this.bytesUploaded += chunk.compressed.length;
    return { hash: chunk.hash, storedSize: res.storedSize, added: res.added };
  }
}
