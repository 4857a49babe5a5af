/**
 * Capture over the data plane with the engine's per-block step: survey, plan, then for each
 * block read + zero unused + hash, ask the server, compress and upload only what it lacks (bounded
 * in flight), build the manifest with the engine and commit; blocks the server lost (a crash
 * before they were durable) are uploaded again when the commit names them.
 */
import {
  allocCompressedSlot,
  allocSlot,
  boundedRun,
  buildManifest,
  type CaptureBlockContext,
  type CapturedBlock,
  type CapturedPreserved,
  captureBlock,
  createCodec,
  DEFAULT_BLOCK_SIZE,
  DEFAULT_ZSTD_LEVEL,
  type DiskSurvey,
  type Manifest,
  openDisk,
  type PlannedBlock,
  type PutResult,
  planBlocks,
  type Slot,
  serializeManifest,
  surveyDisk,
} from '@brume/server/imaging';
import type { ProgressReporter } from './progress-reporter.ts';
import { RemoteChunkSink } from './remote-chunk-sink.ts';
import { type TransferClient, TransferClientError } from './transfer-client.ts';
import { NETWORK_QUEUE_DEPTH } from './tuning.ts';

export interface CaptureTaskOptions {
  readonly client: TransferClient;
  readonly diskPath: string;
  readonly imageName: string;
  readonly reporter: ProgressReporter;
  readonly signal: AbortSignal;
  readonly workers?: number;
  readonly queueDepth?: number;
  /** Only these partition numbers (benchmarks compare one partition with partclone). */
  readonly partitions?: readonly number[];
}

export interface CaptureTaskResult {
  readonly version: number;
  readonly bytesUploaded: number;
  readonly blocks: number;
}

type Ctx = Omit<CaptureBlockContext, 'sink'> & { readonly remote: RemoteChunkSink };

export async function runCapture(o: CaptureTaskOptions): Promise<CaptureTaskResult> {
  // Blocks are read straight into the capture's buffers (O_DIRECT where the disk allows it): a
  // capture reads the whole used disk once, and the page cache would only hold it for nothing.
  const disk = await openDisk(o.diskPath, { direct: true });
  const codec = createCodec(o.workers ?? 2);
  const remote = new RemoteChunkSink(o.client, o.signal);
  try {
    const survey = await surveyDisk(disk, o.partitions);
    const plan = planBlocks(survey.parts, DEFAULT_BLOCK_SIZE);
    const bytesTotal = plan.reduce((s, b) => s + b.length, 0);
    o.reporter.totals(plan.length, bytesTotal);
    await o.client.request('/v1/task/start', {
      json: { blocksTotal: plan.length, bytesTotal },
      signal: o.signal,
    });
    const ctx: Ctx = {
      disk,
      codec,
      level: DEFAULT_ZSTD_LEVEL,
      seen: new Map<string, Promise<PutResult>>(),
      remote,
    };
    o.reporter.phase('tables');
    const preserved = await capturePreserved(ctx, survey);
    o.reporter.phase('blocks');
    const captured = await captureBlocks(ctx, plan, o);
    o.reporter.phase('publish');
    await o.reporter.flush();
    // The commit ends the task: no progress report may follow it.
    o.reporter.stop();
    const manifest = buildManifest({
      name: o.imageName,
      blockSize: DEFAULT_BLOCK_SIZE,
      level: DEFAULT_ZSTD_LEVEL,
      disk,
      survey,
      plan,
      captured,
      preserved,
    });
    const version = await commit(ctx, o, manifest, plan);
    return { version, bytesUploaded: remote.bytesUploaded, blocks: plan.length };
  } finally {
    await codec.close();
    await disk.close();
  }
}

async function capturePreserved(ctx: Ctx, survey: DiskSurvey): Promise<CapturedPreserved[]> {
  const refs: CapturedPreserved[] = [];
  const slot = allocSlot(DEFAULT_BLOCK_SIZE);
  for (const range of survey.layout.preservedRanges) {
    for (let offset = range.offset; offset < range.offset + range.length; offset += DEFAULT_BLOCK_SIZE) {
      const length = Math.min(DEFAULT_BLOCK_SIZE, range.offset + range.length - offset);
      const block = { offset, length, used: [{ offset: 0, length }] };
      const r = await captureBlock({ ...ctx, sink: ctx.remote.forBlock(-1) }, block, slot);
      if (r.state === 'skipped') continue;
      refs.push({ offset, length, hash: r.hash, storedSize: r.storedSize, added: r.state === 'uploaded' });
    }
  }
  return refs;
}

async function captureBlocks(
  ctx: Ctx,
  plan: readonly PlannedBlock[],
  o: CaptureTaskOptions,
): Promise<CapturedBlock[]> {
  const captured: CapturedBlock[] = new Array(plan.length);
  const slots: Slot[] = [];
  // Per runner: the compressed frame goes into a reused shared slot and is uploaded from it.
  const outs: Slot[] = [];
  const size = plan.reduce((m, b) => Math.max(m, b.length), 1);
  await boundedRun(
    plan.length,
    o.queueDepth ?? NETWORK_QUEUE_DEPTH,
    async (index, runner) => {
      const block = plan[index] as PlannedBlock;
      slots[runner] ??= allocSlot(size, ctx.disk);
      outs[runner] ??= allocCompressedSlot(size);
      const result = await captureBlock(
        { ...ctx, sink: ctx.remote.forBlock(index) },
        block,
        slots[runner] as Slot,
        outs[runner],
      );
      captured[index] = result;
      o.reporter.block(index, result.state, block.length, block.partition);
    },
    o.signal,
  );
  return captured;
}

/** Commits; uploads again whatever the server says it lacks (at most three rounds). */
async function commit(ctx: Ctx, o: CaptureTaskOptions, manifest: Manifest, plan: readonly PlannedBlock[]) {
  const body = new TextEncoder().encode(serializeManifest(manifest));
  for (let round = 0; ; round++) {
    try {
      const res = await o.client.json<{ version: number }>('/v1/capture/commit', {
        body,
        headers: { 'content-type': 'application/json' },
        signal: o.signal,
      });
      return res.version;
    } catch (error) {
      if (!(error instanceof TransferClientError) || error.code !== 'MISSING_BLOCKS' || round >= 2)
        throw error;
      await reupload(ctx, o, manifest, plan, new Set(error.details.missing as string[]));
    }
  }
}

async function reupload(
  ctx: Ctx,
  o: CaptureTaskOptions,
  manifest: Manifest,
  plan: readonly PlannedBlock[],
  missing: Set<string>,
) {
  const slot = allocSlot(DEFAULT_BLOCK_SIZE);
  const fresh = { ...ctx, seen: new Map<string, Promise<PutResult>>() };
  for (const ref of manifest.preserved.filter((p) => missing.has(p.hash))) {
    const block = { offset: ref.offset, length: ref.length, used: [{ offset: 0, length: ref.length }] };
    await captureBlock({ ...fresh, sink: ctx.remote.forBlock(-1, { forceUpload: true }) }, block, slot);
  }
  for (const [index, block] of plan.entries()) {
    const ref = manifest.blocks.find((b) => b.offset === block.offset);
    if (!ref || !missing.has(ref.hash) || o.signal.aborted) continue;
    missing.delete(ref.hash);
    await captureBlock({ ...fresh, sink: ctx.remote.forBlock(index, { forceUpload: true }) }, block, slot);
  }
}
