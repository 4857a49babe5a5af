/**
 * Capture: survey the disk, plan the used blocks, then stream them through the codec into the chunk
 * store with a bounded number in flight (each runner owns one block buffer), and publish the
 * manifest once every chunk is durable.
 */
import { assertBlockSize, DEFAULT_BLOCK_SIZE, type PlannedBlock, planBlocks } from '../blocks/block-plan.ts';
import type { DiskIdentity, DiskReader } from '../layout-types.ts';
import { assertImageName } from '../manifest/manifest-codec.ts';
import type { Manifest, ManifestBlock, ManifestChunkRef } from '../manifest/manifest-schema.ts';
import { DEFAULT_ZSTD_LEVEL } from '../store/chunk-codec.ts';
import type { PutResult } from '../store/chunk-store.ts';
import { boundedRun, throwIfAborted } from './bounded-run.ts';
import { type CaptureBlockContext, type CapturedBlock, captureBlock } from './capture-block.ts';
import {
  allocCompressedSlot,
  allocSlot,
  type ChunkCodec,
  createCodec,
  type Slot,
} from './chunk-codec-pool.ts';
import type { ImageStore } from './image-store.ts';
import { buildManifest } from './manifest-builder.ts';
import { type ProgressSink, ProgressTracker } from './progress.ts';
import { type DiskSurvey, surveyDisk } from './survey-disk.ts';

export const DEFAULT_WORKERS = 2;
export const DEFAULT_QUEUE_DEPTH = 6;

export interface CaptureOptions {
  readonly disk: DiskReader & { readonly identity?: DiskIdentity };
  readonly store: ImageStore;
  readonly name: string;
  readonly progress?: ProgressSink;
  readonly signal?: AbortSignal;
  readonly blockSize?: number;
  readonly level?: number;
  /** Worker threads for sha256/zstd (0: main thread), or a codec to share. */
  readonly workers?: number | ChunkCodec;
  /** Blocks in flight (each holds one block buffer): the memory bound. */
  readonly queueDepth?: number;
  /** Only these partition numbers (default all). */
  readonly partitions?: readonly number[];
  /** A survey done by the caller (tests, or a server that already read the layout). */
  readonly survey?: DiskSurvey;
  /** Store the chunks but do not publish a manifest version. */
  readonly dryRun?: boolean;
}

export interface CaptureStats {
  readonly blocksTotal: number;
  readonly blocksUploaded: number;
  readonly blocksDeduplicated: number;
  readonly blocksSkipped: number;
  readonly bytesRead: number;
  /** Compressed bytes this capture added to the store. */
  readonly bytesNew: number;
  /** Compressed bytes of every distinct chunk the manifest references. */
  readonly bytesStored: number;
  readonly seconds: number;
}

export interface CaptureResult {
  readonly manifest: Manifest;
  readonly version: number | null;
  readonly stats: CaptureStats;
}

export async function captureDisk(options: CaptureOptions): Promise<CaptureResult> {
  const started = performance.now();
  assertImageName(options.name);
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  assertBlockSize(blockSize);
  const level = options.level ?? DEFAULT_ZSTD_LEVEL;
  const survey = options.survey ?? (await surveyDisk(options.disk, options.partitions));
  const plan = planBlocks(survey.parts, blockSize);
  const tracker = new ProgressTracker(options.progress, plan.length, sumLength(plan));
  tracker.phase('survey');
  const codec =
    typeof options.workers === 'object' ? options.workers : createCodec(options.workers ?? DEFAULT_WORKERS);
  const ctx: CaptureBlockContext = {
    disk: options.disk,
    codec,
    sink: options.store.chunks,
    level,
    seen: new Map<string, Promise<PutResult>>(),
  };
  try {
    tracker.phase('tables');
    const preserved = await capturePreserved(ctx, survey, blockSize);
    throwIfAborted(options.signal);
    tracker.phase('blocks');
    const captured = await captureBlocks(ctx, plan, tracker, options);
    tracker.phase('publish');
    await options.store.chunks.flush();
    const manifest = buildManifest({
      name: options.name,
      blockSize,
      level,
      disk: options.disk,
      survey,
      plan,
      captured,
      preserved,
    });
    const version = options.dryRun ? null : await options.store.manifests.publish(manifest);
    tracker.phase('done');
    return { manifest, version, stats: captureStats(plan, captured, preserved, manifest, started) };
  } finally {
    if (codec !== options.workers) await codec.close();
  }
}

function sumLength(ranges: readonly { length: number }[]): number {
  return ranges.reduce((s, r) => s + r.length, 0);
}

export interface CapturedPreserved extends ManifestChunkRef {
  readonly added: boolean;
}

/** Table areas and boot code, split into block-sized pieces, stored like blocks. */
async function capturePreserved(ctx: CaptureBlockContext, survey: DiskSurvey, blockSize: number) {
  const refs: CapturedPreserved[] = [];
  const slot = allocSlot(blockSize);
  for (const range of survey.layout.preservedRanges) {
    for (let offset = range.offset; offset < range.offset + range.length; offset += blockSize) {
      const length = Math.min(blockSize, range.offset + range.length - offset);
      // No `fs`: zero pieces of a table area are kept (an empty GPT entry must be rewritten as zero).
      const result = await captureBlock(ctx, { offset, length, used: [{ offset: 0, length }] }, slot);
      if (result.state === 'skipped') continue;
      refs.push({
        offset,
        length,
        hash: result.hash,
        storedSize: result.storedSize,
        added: result.state === 'uploaded',
      });
    }
  }
  return refs;
}

async function captureBlocks(
  ctx: CaptureBlockContext,
  plan: readonly PlannedBlock[],
  tracker: ProgressTracker,
  options: CaptureOptions,
): Promise<CapturedBlock[]> {
  const depth = Math.max(1, options.queueDepth ?? DEFAULT_QUEUE_DEPTH);
  const blockSize = plan.reduce((m, b) => Math.max(m, b.length), 1);
  const slots: Slot[] = [];
  const outs: Slot[] = [];
  const captured: CapturedBlock[] = new Array(plan.length);
  await boundedRun(
    plan.length,
    depth,
    async (index, runner) => {
      const block = plan[index] as PlannedBlock;
      // Read straight into the slot where the disk allows it (O_DIRECT, when opened `direct`).
      slots[runner] ??= allocSlot(blockSize, ctx.disk);
      // Compressed into a buffer the store can write without the page cache (when it can).
      outs[runner] ??= allocCompressedSlot(blockSize, ctx.sink);
      try {
        captured[index] = await captureBlock(ctx, block, slots[runner] as Slot, outs[runner]);
      } catch (error) {
        tracker.blockFailed({
          index,
          offset: block.offset,
          state: 'failed',
          error: (error as Error).message,
        });
        throw error;
      }
      const result = captured[index] as CapturedBlock;
      const hash = result.state === 'skipped' ? undefined : result.hash;
      tracker.blockDone(
        { index, offset: block.offset, state: result.state, ...(hash ? { hash } : {}) },
        block.length,
        block.partition,
      );
    },
    options.signal,
  );
  return captured;
}

function captureStats(
  plan: readonly PlannedBlock[],
  captured: readonly CapturedBlock[],
  preserved: readonly CapturedPreserved[],
  manifest: Manifest,
  started: number,
): CaptureStats {
  const count = (state: CapturedBlock['state']) => captured.filter((c) => c.state === state).length;
  const newBlockBytes = captured.reduce((s, c) => s + (c.state === 'uploaded' ? c.storedSize : 0), 0);
  const newPreserved = preserved.reduce((s, p) => s + (p.added ? p.storedSize : 0), 0);
  return {
    blocksTotal: plan.length,
    blocksUploaded: count('uploaded'),
    blocksDeduplicated: count('deduplicated'),
    blocksSkipped: count('skipped'),
    bytesRead: sumLength(plan) + sumLength(preserved),
    bytesNew: newBlockBytes + newPreserved,
    bytesStored: manifest.totals.storedBytes,
    seconds: (performance.now() - started) / 1000,
  };
}

export type { ManifestBlock };
