/**
 * Verification of uploaded blocks before they are stored (zstd decode + sha256 of the decoded
 * bytes against the name) with the imaging engine's codec: inline (its zstd context decodes into a
 * reused buffer, no allocation per block) or, with `workers` > 0, on its worker pool so the main
 * thread keeps serving requests meanwhile. At most `max` verifications run at once; each
 * decodes into a SharedArrayBuffer slot sized by the frame's declared content size, reused while
 * it is small. The workers are started on first use and closed after a quiet spell, so an idle
 * server (and an in-process test app) holds no threads.
 */
import { createRequire } from 'node:module';
import {
  allocSlot,
  type ChunkCodec,
  CorruptChunkError,
  createCodec,
  decodeChunk,
  type Slot,
} from '../imaging/index.ts';
import { Semaphore } from './limits.ts';

const zstd = createRequire(import.meta.url)('zstd-napi/binding') as {
  getFrameContentSize(frame: Uint8Array): number | null;
};

/** The largest block the manifest format allows. */
const MAX_BLOCK = 64 * 1024 * 1024;
/** Slots up to this size are kept for the next verification; larger ones are dropped after use. */
const KEEP_SLOT = 8 * 1024 * 1024;

export interface UploadVerifierOptions {
  /** Codec worker threads (0: verify on the main thread). */
  readonly workers: number;
  /** Verifications at once (each holds one slot). */
  readonly max: number;
  /** Workers are closed after this long without a verification. */
  readonly idleMs?: number;
}

export class UploadVerifier {
  private readonly workers: number;
  private readonly idleMs: number;
  private readonly gate: Semaphore;
  private codec: ChunkCodec | null = null;
  private readonly free: Slot[] = [];
  private active = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(options: UploadVerifierOptions) {
    this.workers = options.workers;
    this.idleMs = options.idleMs ?? 10_000;
    this.gate = new Semaphore(options.max);
  }

  /**
   * Resolves with the decoded length when `compressed` decodes to bytes whose sha256 is `hash`;
   * rejects with CorruptChunkError otherwise.
   */
  verify(hash: string, compressed: Uint8Array): Promise<number> {
    return this.gate.run(async () => {
      const size = frameSize(hash, compressed);
      // A frame that does not declare its size (never ours) is checked the simple way.
      if (size === null) return decodeChunk(hash, compressed).length;
      this.busy();
      const slot = this.slot(size);
      try {
        const length = await (this.codec as ChunkCodec).decode(hash, compressed, slot);
        if (length !== size) throw new CorruptChunkError(hash, `decodes to ${length} of ${size} bytes`);
        return length;
      } finally {
        if (slot.bytes.length <= KEEP_SLOT) this.free.push(slot);
        this.idle();
      }
    });
  }

  private slot(size: number): Slot {
    const i = this.free.findIndex((s) => s.bytes.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0] as Slot;
    // An empty frame still needs a buffer; slots below a block are rounded up to be reusable.
    return allocSlot(Math.max(size, 1, size <= KEEP_SLOT ? 1024 * 1024 : 0));
  }

  private busy(): void {
    this.active++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.codec ??= createCodec(this.workers);
  }

  private idle(): void {
    this.active--;
    if (this.active > 0) return;
    this.idleTimer = setTimeout(() => void this.close(), this.idleMs);
    this.idleTimer.unref();
  }

  /** Stops the workers and drops the slots (the next verification starts them again). */
  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.active > 0) return;
    const codec = this.codec;
    this.codec = null;
    this.free.length = 0;
    await codec?.close();
  }
}

/** The frame's declared content size; a frame that claims more than a block is refused. */
function frameSize(hash: string, compressed: Uint8Array): number | null {
  let size: number | null;
  try {
    size = zstd.getFrameContentSize(compressed);
  } catch (error) {
    throw new CorruptChunkError(hash, `zstd: ${(error as Error).message}`);
  }
  if (size !== null && size > MAX_BLOCK) throw new CorruptChunkError(hash, `frame claims ${size} bytes`);
  return size;
}
