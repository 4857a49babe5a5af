/** Verifies every chunk an image references: present, decodes, hashes to its name. */
import { referencedHashes } from '../manifest/manifest-codec.ts';
import type { Manifest } from '../manifest/manifest-schema.ts';
import type { ChunkReader } from '../store/chunk-store.ts';
import { boundedRun } from './bounded-run.ts';
import { DEFAULT_QUEUE_DEPTH, DEFAULT_WORKERS } from './capture.ts';
import { allocSlot, type ChunkCodec, createCodec, type Slot } from './chunk-codec-pool.ts';
import { type ProgressSink, ProgressTracker } from './progress.ts';

export interface VerifyImageOptions {
  readonly store: Pick<ChunkReader, 'getCompressed'>;
  readonly manifest: Manifest;
  readonly progress?: ProgressSink;
  readonly signal?: AbortSignal;
  readonly workers?: number | ChunkCodec;
}

export interface ChunkProblem {
  readonly hash: string;
  readonly error: string;
  readonly code: string;
}

export interface VerifyImageResult {
  readonly chunks: number;
  readonly bytes: number;
  readonly problems: readonly ChunkProblem[];
  readonly seconds: number;
}

export async function verifyImage(options: VerifyImageOptions): Promise<VerifyImageResult> {
  const started = performance.now();
  const { manifest } = options;
  const sizes = new Map<string, number>();
  for (const ref of [...manifest.preserved, ...manifest.blocks]) sizes.set(ref.hash, ref.length);
  const hashes = [...referencedHashes(manifest)];
  const tracker = new ProgressTracker(
    options.progress,
    hashes.length,
    [...sizes.values()].reduce((a, b) => a + b, 0),
  );
  const codec =
    typeof options.workers === 'object' ? options.workers : createCodec(options.workers ?? DEFAULT_WORKERS);
  const slotSize = Math.max(manifest.blockSize, ...sizes.values());
  const slots: Slot[] = [];
  const problems: ChunkProblem[] = [];
  let bytes = 0;
  tracker.phase('verify');
  try {
    await boundedRun(
      hashes.length,
      DEFAULT_QUEUE_DEPTH,
      async (index, runner) => {
        const hash = hashes[index] as string;
        slots[runner] ??= allocSlot(slotSize);
        try {
          const compressed = await options.store.getCompressed(hash);
          bytes += compressed.length;
          await codec.decode(hash, compressed, slots[runner] as Slot);
          tracker.blockDone({ index, offset: 0, state: 'verified', hash }, sizes.get(hash) ?? 0, null);
        } catch (error) {
          const code = String((error as { code?: unknown }).code ?? 'ERROR');
          problems.push({ hash, error: (error as Error).message, code });
          tracker.blockFailed({ index, offset: 0, state: 'failed', hash, error: (error as Error).message });
        }
      },
      options.signal,
    );
  } finally {
    if (codec !== options.workers) await codec.close();
  }
  tracker.phase('done');
  return { chunks: hashes.length, bytes, problems, seconds: (performance.now() - started) / 1000 };
}
