/**
 * A capture's uploads as block streams (server/src/transfer/PROTOCOL.md, Capture 4): frames
 * written into a long `POST /v1/capture/stream` as the blocks are ready, each settled by its
 * answer line. At most two streams are open (one taking frames, one finishing), and a new one
 * starts every 256 frames or 64 MiB.
 *
 * A frame whose stream fails (connection lost, refused, ended early, any fault line) is not an
 * error here: `send` rejects with StreamLost and the caller uploads that block with a `PUT`, the
 * path with retries and typed errors. Only a frame the server found corrupt (`HASH_MISMATCH`)
 * fails as such. A server without the route (404) gets `PUT`s from then on, and so does one
 * whose streams failed three times running.
 */
import type http from 'node:http';
import type { EncodedChunk, PutResult } from '@brume/server/imaging';
import { errorOf, type TransferClient, TransferClientError } from './transfer-client.ts';

const PATH = '/v1/capture/stream';
const CONTENT_TYPE = 'application/vnd.brume.block-stream';
const MAGIC = 0x42524231; // "BRB1"
const HEAD = 52;
const FRAMES_PER_STREAM = 256;
const BYTES_PER_STREAM = 64 * 1024 * 1024;
/** A stream with nothing to send and nothing unanswered is ended after this long. */
const LINGER_MS = 20;
const MAX_FAILURES = 3;

/** The frame was not answered: upload the block another way. */
export class StreamLost extends Error {
  constructor(reason: string) {
    super(`block stream lost: ${reason}`);
    this.name = 'StreamLost';
  }
}

interface Frame {
  readonly seq: number;
  readonly chunk: EncodedChunk;
  readonly resolve: (result: PutResult) => void;
  readonly reject: (error: unknown) => void;
}

interface AnswerLine {
  seq?: number;
  hash?: string;
  storedSize?: number;
  added?: boolean;
  code?: string;
  message?: string;
  end?: boolean;
}

export function frameHead(seq: number, index: number, chunk: EncodedChunk): Buffer {
  const head = Buffer.allocUnsafe(HEAD);
  head.writeUInt32BE(MAGIC, 0);
  head.writeUInt32BE(seq >>> 0, 4);
  head.writeInt32BE(index, 8);
  head.writeUInt32BE(chunk.size, 12);
  head.writeUInt32BE(chunk.compressed.length, 16);
  head.write(chunk.hash, 20, 32, 'hex');
  return head;
}

class BlockStream {
  private readonly req: http.ClientRequest;
  private readonly unanswered = new Map<number, Frame>();
  private text = '';
  private linger: NodeJS.Timeout | null = null;
  frames = 0;
  bytes = 0;
  /** No more frames go in (full, lingering over, or failed). */
  closed = false;
  /** Settled: every frame answered or handed back. */
  over = false;

  private readonly onOver: (stream: BlockStream, outcome: 'clean' | 'failed' | 'unsupported') => void;

  constructor(client: TransferClient, signal: AbortSignal | undefined, onOver: BlockStream['onOver']) {
    this.onOver = onOver;
    this.req = client.openStream(PATH, CONTENT_TYPE, signal);
    const idleMs = client.blockIdleLimitMs;
    this.req.setTimeout(idleMs, () => this.req.destroy(new Error(`no data for ${idleMs} ms`)));
    this.req.on('error', (error) => this.lose(error.message, signal));
    this.req.on('response', (res) => this.read(res, signal));
  }

  send(seq: number, index: number, chunk: EncodedChunk): Promise<PutResult> {
    return new Promise((resolve, reject) => {
      this.unanswered.set(seq, { seq, chunk, resolve, reject });
      if (this.linger) clearTimeout(this.linger);
      this.linger = null;
      this.frames++;
      this.bytes += chunk.compressed.length;
      const body = chunk.compressed;
      // One write for the head and the frame (a view of the caller's bytes, no copy).
      this.req.cork();
      this.req.write(frameHead(seq, index, chunk));
      this.req.write(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
      process.nextTick(() => this.req.uncork());
      if (this.frames >= FRAMES_PER_STREAM || this.bytes >= BYTES_PER_STREAM) this.end();
    });
  }

  /** No more frames: the server answers the rest, then ends. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.linger) clearTimeout(this.linger);
    this.req.end();
  }

  private read(res: http.IncomingMessage, signal: AbortSignal | undefined): void {
    if (res.statusCode !== 200) {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => {
        const error = errorOf({ status: res.statusCode ?? 0, body: Buffer.concat(parts) });
        this.lose(`${error.code}: ${error.message}`, signal, error.status === 404);
      });
      return;
    }
    res.setEncoding('utf8');
    res.on('data', (text: string) => {
      this.text += text;
      for (let nl = this.text.indexOf('\n'); nl >= 0; nl = this.text.indexOf('\n')) {
        const line = this.text.slice(0, nl);
        this.text = this.text.slice(nl + 1);
        this.answer(JSON.parse(line) as AnswerLine, signal);
      }
    });
    res.on('end', () => this.lose('the answer ended early', signal));
    res.on('error', (error) => this.lose(error.message, signal));
  }

  private answer(line: AnswerLine, signal: AbortSignal | undefined): void {
    if (line.end === true) {
      this.lose('the server ended the stream', signal);
      return;
    }
    const frame = line.seq === undefined ? undefined : this.unanswered.get(line.seq);
    if (frame === undefined) {
      this.lose(`${line.code ?? 'fault'}: ${line.message ?? ''}`, signal);
      return;
    }
    this.unanswered.delete(frame.seq);
    if (line.code === 'HASH_MISMATCH') {
      frame.reject(
        new TransferClientError(line.code, 422, line.message ?? 'hash mismatch', { hash: line.hash }),
      );
    } else {
      frame.resolve({ hash: frame.chunk.hash, storedSize: line.storedSize ?? 0, added: line.added === true });
    }
    if (this.unanswered.size === 0 && !this.closed) {
      this.linger = setTimeout(() => this.end(), LINGER_MS);
      this.linger.unref();
    }
  }

  /**
   * The stream is over: a clean end once every frame was answered; otherwise the frames left
   * unanswered go back to the caller (or fail with the abort, when it is the caller's).
   */
  private lose(reason: string, signal: AbortSignal | undefined, unsupported = false): void {
    if (this.over) return;
    this.over = true;
    this.closed = true;
    if (this.linger) clearTimeout(this.linger);
    const clean = this.unanswered.size === 0 && reason === 'the server ended the stream';
    for (const frame of this.unanswered.values()) {
      frame.reject(signal?.aborted ? (signal.reason ?? new StreamLost(reason)) : new StreamLost(reason));
    }
    this.unanswered.clear();
    if (!this.req.destroyed && !clean) this.req.destroy();
    this.onOver(this, unsupported ? 'unsupported' : clean ? 'clean' : 'failed');
  }
}

export class BlockStreams {
  private readonly client: TransferClient;
  private readonly signal: AbortSignal | undefined;
  private current: BlockStream | null = null;
  private readonly open = new Set<BlockStream>();
  private nextSeq = 0;
  private failures = 0;
  /** False once the server showed it has no streams, or they kept failing. */
  usable = true;

  constructor(client: TransferClient, signal?: AbortSignal) {
    this.client = client;
    this.signal = signal;
  }

  /** The block's answer; StreamLost when it must go by `PUT` instead. */
  async send(chunk: EncodedChunk, index: number): Promise<PutResult> {
    const stream = this.streamForNext();
    if (stream === null) throw new StreamLost('no stream open');
    return stream.send(this.nextSeq++, index, chunk);
  }

  /** Ends the streams (their unanswered frames are still answered). */
  close(): void {
    for (const stream of this.open) stream.end();
  }

  private streamForNext(): BlockStream | null {
    if (!this.usable) return null;
    if (this.current && !this.current.closed) return this.current;
    // At most two: one finishing its last answers, one taking frames.
    if (this.open.size >= 2) return null;
    const stream = new BlockStream(this.client, this.signal, (s, outcome) => this.over(s, outcome));
    this.open.add(stream);
    this.current = stream;
    return stream;
  }

  private over(stream: BlockStream, outcome: 'clean' | 'failed' | 'unsupported'): void {
    this.open.delete(stream);
    if (this.current === stream) this.current = null;
    if (outcome === 'clean') this.failures = 0;
    else if (outcome === 'unsupported' || ++this.failures >= MAX_FAILURES) this.usable = false;
  }
}
