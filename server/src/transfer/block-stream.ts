/**
 * `POST /v1/capture/stream` (PROTOCOL.md, Capture 4, "Block streams"): many blocks in one request
 * body, each answered by a line as soon as it is stored. A capture then pays one HTTP exchange
 * per few hundred blocks instead of one per block; each frame is still checked, verified and
 * stored exactly as a `PUT` of it would be (storeBlock).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { copyBytes } from '../imaging/copy-bytes.ts';
import { CAPTURE, MAX_BLOCK_BODY, storeBlock } from './capture-handlers.ts';
import type { TransferCore } from './transfer-core.ts';
import { TransferError } from './transfer-errors.ts';
import type { TransferStore } from './transfer-store.ts';

export const FRAME_MAGIC = 0x42524231; // "BRB1"
export const FRAME_HEAD = 52;
/** Frames of one stream being verified and stored at once (the upload budget bounds their bytes). */
const MAX_STORING = 16;

/** A frame's head: what a `PUT` carries in its path and headers. */
export interface FrameHead {
  readonly seq: number;
  readonly index: number;
  readonly size: number;
  readonly length: number;
  readonly hash: string;
}

export function parseFrameHead(head: Uint8Array): FrameHead {
  const view = new DataView(head.buffer, head.byteOffset, FRAME_HEAD);
  if (view.getUint32(0) !== FRAME_MAGIC) throw new TransferError('INVALID_REQUEST', 'not a block frame');
  const length = view.getUint32(16);
  if (length > MAX_BLOCK_BODY) {
    throw new TransferError('INVALID_REQUEST', `a frame of ${length} bytes is over ${MAX_BLOCK_BODY}`);
  }
  return {
    seq: view.getUint32(4),
    index: view.getInt32(8),
    size: view.getUint32(12),
    length,
    hash: Buffer.from(head.buffer, head.byteOffset + 20, 32).toString('hex'),
  };
}

/** A frame whose bytes are being read: its buffer is held within the upload budget. */
interface Filling {
  readonly head: FrameHead;
  readonly bytes: Uint8Array;
  readonly unbudget: () => void;
  at: number;
}

/** How long a stream that was refused mid-way is drained before its connection is cut. */
const DRAIN_MS = 5000;

export async function handleBlockStream(
  core: TransferCore,
  store: TransferStore,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const first = await core.session(req, 'upload', CAPTURE);
  await core.deps.storeIdle?.();
  const release = core.slots.take(first.task.id);
  res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
  res.flushHeaders();
  await new StreamIngest(core, store, req, res).run().finally(release);
}

/**
 * Reads one stream's frames as its bytes come (the request is paused while a frame waits for the
 * budget or for a storing place: TCP then holds the sender back), stores each on its own, and
 * ends the answer once the body has ended and every frame is answered, or at the first fault.
 */
class StreamIngest {
  private readonly head = new Uint8Array(FRAME_HEAD);
  private headFill = 0;
  private filling: Filling | null = null;
  private readonly storing = new Set<Promise<void>>();
  private frames = 0;
  private over = false;
  private finished!: () => void;
  private readonly core: TransferCore;
  private readonly store: TransferStore;
  private readonly req: IncomingMessage;
  private readonly res: ServerResponse;

  constructor(core: TransferCore, store: TransferStore, req: IncomingMessage, res: ServerResponse) {
    this.core = core;
    this.store = store;
    this.req = req;
    this.res = res;
  }

  run(): Promise<void> {
    const done = new Promise<void>((resolve) => {
      this.finished = resolve;
    });
    // Consumed one chunk at a time: the next is not read before this one is placed.
    this.req.on('data', (chunk: Buffer) => {
      this.req.pause();
      this.consume(chunk).then(
        () => {
          if (!this.over) this.req.resume();
        },
        (err: unknown) => void this.finish(this.asFault(err)),
      );
    });
    this.req.on('end', () => {
      if (this.over) return;
      const cut = this.filling !== null || this.headFill > 0;
      void this.finish(cut ? new TransferError('INVALID_REQUEST', 'the body ends inside a frame') : null);
    });
    // A client that hangs up is nobody to answer and no fault of the server's.
    this.req.on('close', () => {
      if (!this.req.complete) void this.finish(null, true);
    });
    return done;
  }

  private async consume(chunk: Buffer): Promise<void> {
    let at = 0;
    while (at < chunk.length && !this.over) {
      if (this.filling === null) {
        const n = Math.min(FRAME_HEAD - this.headFill, chunk.length - at);
        this.head.set(chunk.subarray(at, at + n), this.headFill);
        this.headFill += n;
        at += n;
        if (this.headFill < FRAME_HEAD) return;
        this.headFill = 0;
        const head = parseFrameHead(this.head);
        // Within the budget before the bytes are read: past it the stream (and its sender) waits.
        const unbudget = await this.core.uploadBudget.take(this.core.bodyBuffers.sizeFor(head.length));
        this.filling = { head, bytes: this.core.bodyBuffers.take(head.length), unbudget, at: 0 };
        if (this.over) return this.give(this.filling);
      }
      const frame = this.filling;
      const n = Math.min(frame.head.length - frame.at, chunk.length - at);
      copyBytes(frame.bytes, frame.at, chunk.subarray(at, at + n));
      frame.at += n;
      at += n;
      if (frame.at < frame.head.length) continue;
      this.filling = null;
      this.frames++;
      while (this.storing.size >= MAX_STORING) await Promise.race(this.storing);
      const storing: Promise<void> = this.settle(frame).finally(() => this.storing.delete(storing));
      this.storing.add(storing);
    }
  }

  /** Verifies and stores a whole frame, and answers it; a fault that ends the stream ends it. */
  private async settle(frame: Filling): Promise<void> {
    const { seq, hash, index } = frame.head;
    try {
      // Every frame is a request of its own as far as the token goes: a cancel stops the stream.
      const { task } = await this.core.session(this.req, 'upload', CAPTURE);
      const result = await storeBlock(this.core, this.store, task, { hash, index, compressed: frame.bytes });
      this.answer({ seq, hash, storedSize: result.storedSize, added: result.added });
    } catch (err) {
      if (err instanceof TransferError && err.code === 'HASH_MISMATCH') {
        this.answer({ seq, hash, code: err.code, message: err.message });
      } else {
        void this.finish(this.asFault(err));
      }
    } finally {
      this.give(frame);
    }
  }

  private answer(line: object): void {
    if (!this.res.writableEnded) this.res.write(`${JSON.stringify(line)}\n`);
  }

  private give(frame: Filling): void {
    this.core.bodyBuffers.give(frame.bytes);
    frame.unbudget();
  }

  /**
   * Ends the stream once the frames being stored are answered: with `{end, frames}`, or with the
   * fault as the last line. After a fault the rest of the body is read and dropped for a while
   * (the client stops when it reads the fault; cutting the connection at once could lose the
   * answer lines on their way), then the connection is closed.
   */
  private async finish(fault: TransferError | null, gone = false): Promise<void> {
    if (this.over) return;
    this.over = true;
    if (this.filling !== null) this.give(this.filling);
    this.filling = null;
    await Promise.all(this.storing);
    if (gone) {
      this.res.destroy();
    } else if (fault === null) {
      this.res.end(`${JSON.stringify({ end: true, frames: this.frames })}\n`);
    } else {
      this.res.shouldKeepAlive = false;
      this.res.end(`${JSON.stringify({ code: fault.code, message: fault.message, ...fault.details })}\n`);
      const cut = setTimeout(() => this.req.destroy(), DRAIN_MS);
      cut.unref();
      this.req.on('close', () => clearTimeout(cut));
      this.req.resume();
    }
    this.finished();
  }

  private asFault(err: unknown): TransferError {
    if (err instanceof TransferError) return err;
    this.core.deps.log.error({ err }, 'block stream failed');
    return new TransferError('INTERNAL', 'internal error');
  }
}
