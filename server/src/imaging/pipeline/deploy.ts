/**
 * Deploy: check the target is big enough before any write, write the table areas, then stream the
 * blocks (skip what the target already holds, fetch, verify, write) with a bounded number in
 * flight, persisting a done-map so a killed deploy resumes; optional read-back verify.
 */
import type { DiskWriter } from '../layout-types.ts';
import { manifestDigest } from '../manifest/manifest-codec.ts';
import type { Manifest, ManifestChunkRef } from '../manifest/manifest-schema.ts';
import { boundedRun } from './bounded-run.ts';
import { DEFAULT_QUEUE_DEPTH, DEFAULT_WORKERS } from './capture.ts';
import { Checkpointer } from './checkpointer.ts';
import {
  allocCompressedSlot,
  allocSlot,
  type ChunkCodec,
  createCodec,
  type Slot,
} from './chunk-codec-pool.ts';
import {
  BlockDecodeError,
  type ChunkSource,
  type DeployBlockContext,
  type DeployBlockResult,
  type DeploySlots,
  deployBlock,
  verifyBlock,
} from './deploy-block.ts';
import {
  allocGroupSlots,
  type BlockGroup,
  deployGroup,
  GROUP_BYTES,
  type GroupSlots,
  groupBlocks,
  LANES_PER_GROUP,
} from './deploy-groups.ts';
import { minimumTargetSize, prepareTables, TargetTooSmallError, writeTables } from './deploy-tables.ts';
import { DoneMap } from './done-map.ts';
import { type ProgressSink, ProgressTracker } from './progress.ts';

export const DEFAULT_WRITEBACK_BYTES = 64 * 1024 * 1024;

export interface DeployOptions {
  readonly store: ChunkSource;
  readonly manifest: Manifest;
  readonly disk: DiskWriter;
  readonly progress?: ProgressSink;
  readonly signal?: AbortSignal;
  /** Read every block back after writing and compare hashes. */
  readonly verify?: boolean;
  /** Where the done-map lives; without it a deploy cannot resume (it still skips matching blocks). */
  readonly doneMapPath?: string;
  readonly workers?: number | ChunkCodec;
  readonly queueDepth?: number;
  /** How often the target is synced and the done-map saved (default 5 s). */
  readonly checkpointMs?: number;
  /**
   * Start a background sync of the target after this many bytes were written since the last one
   * (default 64 MiB; 0: only the final sync). The disk writes while blocks are still decoded
   * instead of all at the end.
   */
  readonly writebackBytes?: number;
  /** Read the target first and skip blocks it already holds (default true). */
  readonly skipMatching?: boolean;
}

export interface DeployStats {
  readonly blocksTotal: number;
  readonly blocksWritten: number;
  /** Blocks the target already held. */
  readonly blocksSkipped: number;
  /** Blocks a previous run finished (done-map). */
  readonly blocksResumed: number;
  readonly blocksVerified: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  /** Compressed bytes fetched from the store. */
  readonly bytesFetched: number;
  readonly seconds: number;
}

interface Counters {
  written: number;
  skipped: number;
  resumed: number;
  verified: number;
  bytesRead: number;
  bytesWritten: number;
  bytesFetched: number;
}

export async function deployImage(options: DeployOptions): Promise<DeployStats> {
  const started = performance.now();
  const { manifest, disk } = options;
  const required = minimumTargetSize(manifest, disk.size);
  if (disk.size < required) throw new TargetTooSmallError(required, disk.size);
  // Fetched, verified and relocated before anything is written: a bad table chunk or a target
  // too small for the partitions fails with the target untouched.
  const tables = await prepareTables(options.store, manifest, disk.size);
  const blocks = manifest.blocks;
  const tracker = new ProgressTracker(options.progress, blocks.length, manifest.totals.blockBytes);
  const codec =
    typeof options.workers === 'object' ? options.workers : createCodec(options.workers ?? DEFAULT_WORKERS);
  const c: Counters = {
    written: 0,
    skipped: 0,
    resumed: 0,
    verified: 0,
    bytesRead: 0,
    bytesWritten: 0,
    bytesFetched: 0,
  };
  const digest = manifestDigest(manifest);
  const done = options.doneMapPath ? await DoneMap.load(options.doneMapPath, digest, blocks.length) : null;
  const checkpoint = new Checkpointer(disk, done, options.doneMapPath, {
    everyMs: options.checkpointMs ?? 5000,
    writebackBytes: options.writebackBytes ?? DEFAULT_WRITEBACK_BYTES,
  });
  try {
    tracker.phase('tables');
    c.bytesFetched += tables.bytesFetched;
    const tableBytes = await writeTables(disk, tables);
    c.bytesWritten += tableBytes;
    tracker.phase('blocks');
    try {
      await deployBlocks(options, codec, c, tracker, done, checkpoint);
    } finally {
      await checkpoint.save();
    }
    await checkpoint.settled();
    await disk.sync();
    if (options.verify) await verifyAll(options, codec, c, tracker);
    if (options.doneMapPath) await DoneMap.remove(options.doneMapPath);
    tracker.phase('done');
  } finally {
    if (codec !== options.workers) await codec.close();
  }
  return {
    blocksTotal: blocks.length,
    blocksWritten: c.written,
    blocksSkipped: c.skipped,
    blocksResumed: c.resumed,
    blocksVerified: c.verified,
    bytesRead: c.bytesRead,
    bytesWritten: c.bytesWritten,
    bytesFetched: c.bytesFetched,
    seconds: (performance.now() - started) / 1000,
  };
}

async function deployBlocks(
  options: DeployOptions,
  codec: ChunkCodec,
  c: Counters,
  tracker: ProgressTracker,
  done: DoneMap | null,
  checkpoint: Checkpointer,
): Promise<void> {
  const blocks = options.manifest.blocks;
  const ctx: DeployBlockContext = {
    disk: options.disk,
    source: options.store,
    codec,
    skipMatching: options.skipMatching ?? true,
  };
  const todo: number[] = [];
  blocks.forEach((ref, index) => {
    if (!done?.has(index)) {
      todo.push(index);
      return;
    }
    c.resumed++;
    tracker.blockDone(
      { index, offset: ref.offset, state: 'skipped', hash: ref.hash },
      ref.length,
      ref.partition,
    );
  });
  const record = (index: number, r: DeployBlockResult) => {
    const ref = blocks[index] as Block;
    c.bytesRead += r.bytesRead;
    c.bytesFetched += r.bytesFetched;
    c.bytesWritten += r.bytesWritten;
    if (r.state === 'written') c.written++;
    else c.skipped++;
    done?.set(index);
    checkpoint.wrote(r.bytesWritten);
    tracker.blockDone(
      { index, offset: ref.offset, state: r.state, hash: ref.hash },
      ref.length,
      ref.partition,
    );
  };
  const failed = (index: number, error: unknown) => {
    const ref = blocks[index] as Block;
    const message = (error as Error).message;
    tracker.blockFailed({ index, offset: ref.offset, state: 'failed', hash: ref.hash, error: message });
  };
  const depth = Math.max(1, options.queueDepth ?? DEFAULT_QUEUE_DEPTH);
  const run = ctx.skipMatching === false ? deployEach : deployGrouped;
  await run({ ctx, blocks, todo, depth, record, failed, checkpoint, signal: options.signal });
}

type Block = Manifest['blocks'][number];

interface BlocksRun {
  readonly ctx: DeployBlockContext;
  readonly blocks: readonly Block[];
  readonly todo: readonly number[];
  readonly depth: number;
  readonly record: (index: number, r: DeployBlockResult) => void;
  readonly failed: (index: number, error: unknown) => void;
  readonly checkpoint: Checkpointer;
  readonly signal: AbortSignal | undefined;
}

/** Target read and checked in multi-block reads (deploy-groups.ts); `depth` blocks decode at once. */
async function deployGrouped(r: BlocksRun): Promise<void> {
  const blockSize = r.blocks.reduce((m, b) => Math.max(m, b.length), 1);
  const groupBytes = Math.max(GROUP_BYTES, blockSize);
  const groups = groupBlocks(r.blocks, r.todo, groupBytes);
  const slots: GroupSlots[] = [];
  await boundedRun(
    groups.length,
    Math.max(1, Math.ceil(r.depth / LANES_PER_GROUP)),
    async (g, runner) => {
      const group = groups[g] as BlockGroup;
      slots[runner] ??= allocGroupSlots(groupBytes, blockSize, r.ctx.disk);
      try {
        await deployGroup(r.ctx, r.blocks, group, slots[runner] as GroupSlots, r.record);
      } catch (error) {
        r.failed(error instanceof BlockDecodeError ? error.index : (group.indices[0] as number), error);
        throw error;
      }
      await r.checkpoint.maybeSave();
    },
    r.signal,
  );
}

/** One block at a time per runner, no target read (skipMatching: false). */
async function deployEach(r: BlocksRun): Promise<void> {
  const blockSize = r.blocks.reduce((m, b) => Math.max(m, b.length), 1);
  const slots: DeploySlots[] = [];
  await boundedRun(
    r.todo.length,
    r.depth,
    async (k, runner) => {
      const index = r.todo[k] as number;
      slots[runner] ??= {
        data: allocSlot(blockSize, r.ctx.disk),
        target: allocSlot(blockSize),
        compressed: allocCompressedSlot(blockSize),
      };
      try {
        r.record(
          index,
          await deployBlock(r.ctx, index, r.blocks[index] as Block, slots[runner] as DeploySlots),
        );
      } catch (error) {
        r.failed(index, error);
        throw error;
      }
      await r.checkpoint.maybeSave();
    },
    r.signal,
  );
}

async function verifyAll(options: DeployOptions, codec: ChunkCodec, c: Counters, tracker: ProgressTracker) {
  const blocks = options.manifest.blocks;
  tracker.phase('verify', { blocksTotal: blocks.length, bytesTotal: options.manifest.totals.blockBytes });
  const refs: ManifestChunkRef[] = [...options.manifest.preserved, ...blocks];
  const slots: Slot[] = [];
  const slotSize = refs.reduce((m, b) => Math.max(m, b.length), 1);
  await boundedRun(
    refs.length,
    Math.max(1, options.queueDepth ?? DEFAULT_QUEUE_DEPTH),
    async (i, runner) => {
      const ref = refs[i] as ManifestChunkRef;
      slots[runner] ??= allocSlot(slotSize);
      await verifyBlock(options.disk, ref, slots[runner] as Slot, codec);
      c.bytesRead += ref.length;
      const index = i - options.manifest.preserved.length;
      if (index < 0) return;
      c.verified++;
      tracker.blockDone(
        { index, offset: ref.offset, state: 'verified', hash: ref.hash },
        ref.length,
        blocks[index]?.partition ?? null,
      );
    },
    options.signal,
  );
}
