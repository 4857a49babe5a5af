/**
 * sha256 and zstd for the pipelines, either on a small worker_threads pool (both cores busy while
 * the main thread does I/O) or inline on the main thread (tests, one-core machines). Block data
 * lives in SharedArrayBuffer slots so handing a block to a worker copies nothing.
 */

import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DiskReader } from '../layout-types.ts';
import { encodeChunk } from '../store/chunk-codec.ts';
import { sha256Hex } from '../store/chunk-hash.ts';
import { CorruptChunkError } from '../store/chunk-store.ts';

/** zstd's decompression context: decodes straight into a block buffer (the simple API allocates). */
const ZstdBinding = createRequire(import.meta.url)('zstd-napi/binding') as {
  DCtx: new () => { decompress(dst: Uint8Array, src: Uint8Array): number };
  CCtx: new () => { compress(dst: Uint8Array, src: Uint8Array, level: number): number };
  compressBound(size: number): number;
};

/** A block buffer shareable with workers. */
export interface Slot {
  readonly buffer: SharedArrayBuffer;
  readonly bytes: Uint8Array;
}

/**
 * A block buffer; given a disk, one the disk can write directly (O_DIRECT) when it can, which
 * starts a little way into its shared buffer: `bytes.byteOffset` is where the block is.
 */
export function allocSlot(size: number, disk?: Pick<DiskReader, 'alignedBytes'>): Slot {
  const aligned = disk?.alignedBytes?.(size);
  if (aligned) return { buffer: aligned.buffer as SharedArrayBuffer, bytes: aligned };
  const buffer = new SharedArrayBuffer(size);
  return { buffer, bytes: new Uint8Array(buffer) };
}

/**
 * A slot big enough for any zstd frame of a `blockSize` block (a deploy reads chunks into it, a
 * capture compresses into it); given a store that writes chunk files directly, one it accepts.
 */
export function allocCompressedSlot(blockSize: number, store?: Pick<DiskReader, 'alignedBytes'>): Slot {
  return allocSlot(ZstdBinding.compressBound(blockSize), store);
}

export interface ChunkCodec {
  digest(slot: Slot, length: number): Promise<string>;
  compress(slot: Slot, length: number, level: number): Promise<Uint8Array>;
  /**
   * Optional: compresses into `out` (an allocCompressedSlot) and returns the frame's length, so a
   * capture allocates nothing per block. Same frame as `compress`.
   */
  compressInto?(slot: Slot, length: number, level: number, out: Slot): Promise<number>;
  /** Decompresses into the slot, verifies the hash, returns the length; CorruptChunkError otherwise. */
  decode(hash: string, compressed: Uint8Array, slot: Slot): Promise<number>;
  close(): Promise<void>;
}

export class InlineCodec implements ChunkCodec {
  async digest(slot: Slot, length: number): Promise<string> {
    return sha256Hex(slot.bytes.subarray(0, length));
  }
  async compress(slot: Slot, length: number, level: number): Promise<Uint8Array> {
    return encodeChunk(slot.bytes.subarray(0, length), level).compressed;
  }
  private readonly cctx = new ZstdBinding.CCtx();
  async compressInto(slot: Slot, length: number, level: number, out: Slot): Promise<number> {
    return this.cctx.compress(out.bytes, slot.bytes.subarray(0, length), level);
  }
  private readonly dctx = new ZstdBinding.DCtx();

  async decode(hash: string, compressed: Uint8Array, slot: Slot): Promise<number> {
    let length: number;
    try {
      length = this.dctx.decompress(slot.bytes, compressed);
    } catch (error) {
      throw new CorruptChunkError(hash, `zstd: ${(error as Error).message}`);
    }
    const actual = sha256Hex(slot.bytes.subarray(0, length));
    if (actual !== hash) throw new CorruptChunkError(hash, `content hashes to ${actual}`);
    return length;
  }
  async close(): Promise<void> {}
}

interface WorkerReply {
  id: number;
  ok: boolean;
  message?: string;
  result?: { hash?: string; compressed?: Uint8Array; length?: number; corrupt?: string };
}
type Pending = { resolve: (r: NonNullable<WorkerReply['result']>) => void; reject: (e: Error) => void };
type Task = { id: number; op: string; [k: string]: unknown };

export class WorkerPoolError extends Error {
  readonly code = 'WORKER_POOL';
}

export class WorkerCodec implements ChunkCodec {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Task[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 1;

  constructor(size = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i++) this.spawn();
  }

  private spawn(): void {
    const worker = new Worker(new URL('./chunk-worker.mjs', import.meta.url), { execArgv: workerExecArgv() });
    worker.on('message', (reply: WorkerReply) => this.settle(worker, reply));
    worker.on('error', (error) => this.fail(worker, error));
    this.all.push(worker);
    this.idle.push(worker);
  }

  private settle(worker: Worker, reply: WorkerReply): void {
    this.busy.delete(worker);
    this.idle.push(worker);
    const p = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (reply.ok && reply.result) p?.resolve(reply.result);
    else p?.reject(new WorkerPoolError(reply.message ?? 'worker failed'));
    this.pump();
  }

  private fail(worker: Worker, error: Error): void {
    const id = this.busy.get(worker);
    if (id !== undefined)
      this.pending.get(id)?.reject(new WorkerPoolError(`worker crashed: ${error.message}`));
    if (id !== undefined) this.pending.delete(id);
    this.busy.delete(worker);
    this.all.splice(this.all.indexOf(worker), 1);
    this.spawn();
    this.pump();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const task = this.queue.shift() as Task;
      this.busy.set(worker, task.id);
      worker.postMessage(task);
    }
  }

  private run(op: string, args: Record<string, unknown>): Promise<NonNullable<WorkerReply['result']>> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, op, ...args });
      this.pump();
    });
  }

  // A slot's bytes may start inside its shared buffer (a window of a deploy's multi-block target
  // read, an O_DIRECT-aligned block): the worker is told where, as offset and capacity.
  async digest(slot: Slot, length: number): Promise<string> {
    return (await this.run('digest', { ...at(slot), length })).hash as string;
  }

  async compress(slot: Slot, length: number, level: number): Promise<Uint8Array> {
    return (await this.run('compress', { ...at(slot), length, level })).compressed as Uint8Array;
  }

  async compressInto(slot: Slot, length: number, level: number, out: Slot): Promise<number> {
    const o = at(out);
    const task = { ...at(slot), length, level, out: o.slot, outOffset: o.offset, outCapacity: o.capacity };
    return (await this.run('compressInto', task)).length as number;
  }

  async decode(hash: string, compressed: Uint8Array, slot: Slot): Promise<number> {
    const result = await this.run('decode', { hash, compressed, ...at(slot) });
    if (result.corrupt !== undefined) throw new CorruptChunkError(hash, result.corrupt);
    return result.length as number;
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
    for (const p of this.pending.values()) p.reject(new WorkerPoolError('pool closed'));
    this.pending.clear();
  }
}

/** Where a slot's bytes are in its shared buffer, as the worker's tasks name them. */
function at(slot: Slot) {
  return { slot: slot.buffer, offset: slot.bytes.byteOffset, capacity: slot.bytes.length };
}

/**
 * What a codec worker takes from its parent's flags: profiling and warnings. It is plain
 * JavaScript: the parent's TypeScript loader would cost each worker about 9 MiB and its start-up
 * time, flags for the main script (`--input-type`, `-e`) break it, and V8's own flags are refused
 * outright (ERR_WORKER_INVALID_EXEC_ARGV): an operator's `node --max-old-space-size=...` made
 * every worker, hence every verification or decode on one, fail.
 */
const WORKER_FLAG =
  /^--(cpu-prof|heap-prof|enable-source-maps|no-warnings|trace-warnings|trace-uncaught|trace-deprecation|pending-deprecation|throw-deprecation|no-deprecation)/;
/** Those of them that may take their value as the next word. */
const FLAG_WITH_VALUE = /^--(cpu|heap)-prof-(dir|name|interval)$/;

export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!WORKER_FLAG.test(arg)) continue;
    kept.push(arg);
    if (FLAG_WITH_VALUE.test(arg) && i + 1 < argv.length) kept.push(argv[++i] as string);
  }
  return kept;
}

/** `workers` 0 means inline on the main thread. */
export function createCodec(workers: number): ChunkCodec {
  return workers > 0 ? new WorkerCodec(workers) : new InlineCodec();
}
