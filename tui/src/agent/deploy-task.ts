/**
 * Deploy over the data plane: manifest (digest checked), pre-flight before any write, then the
 * engine's deploy (table areas, blocks skipping what the target holds, done-map for resume,
 * optional read-back) with chunks fetched from the server.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BlockEvent,
  type DeployStats,
  deployImage,
  type Manifest,
  openDisk,
  type ProgressCounters,
  parseManifest,
  requiredTargetSize,
} from '@brume/server/imaging';
import { assertTarget } from './preflight.ts';
import type { ProgressReporter } from './progress-reporter.ts';
import { type TransferClient, TransferClientError } from './transfer-client.ts';
import { NETWORK_DEPLOY_DEPTH } from './tuning.ts';

export interface DeployTaskOptions {
  readonly client: TransferClient;
  readonly taskId: string;
  readonly diskPath: string;
  readonly pinnedSerial: string | null;
  readonly stateDir: string;
  readonly reporter: ProgressReporter;
  readonly signal: AbortSignal;
  readonly verify?: boolean;
  readonly workers?: number;
  readonly queueDepth?: number;
  readonly sysfsRoot?: string;
}

export async function fetchManifest(client: TransferClient, signal?: AbortSignal): Promise<Manifest> {
  const res = await client.request('/v1/deploy/manifest', signal ? { signal } : {});
  const text = await res.text();
  const digest = createHash('sha256').update(text).digest('hex');
  if (digest !== res.headers.get('brume-manifest-digest')) {
    throw new TransferClientError('MANIFEST_DIGEST', 0, 'the manifest does not match its digest');
  }
  return parseManifest(text, 'server');
}

export async function runDeploy(o: DeployTaskOptions): Promise<DeployStats> {
  const manifest = await fetchManifest(o.client, o.signal);
  await assertTarget(
    o.diskPath,
    { requiredBytes: requiredTargetSize(manifest), pinnedSerial: o.pinnedSerial },
    o.sysfsRoot,
  );
  const { reporter } = o;
  reporter.totals(manifest.blocks.length, manifest.totals.blockBytes);
  await o.client.request('/v1/task/start', {
    json: { blocksTotal: manifest.blocks.length, bytesTotal: manifest.totals.blockBytes },
    signal: o.signal,
  });
  await mkdir(o.stateDir, { recursive: true, mode: 0o700 });
  const disk = await openDisk(o.diskPath, { write: true });
  let phase = '';
  try {
    return await deployImage({
      store: {
        getCompressed: (hash) => o.client.getBlock(hash, o.signal),
        getCompressedInto: (hash, into) => o.client.getBlockInto(hash, into, o.signal),
        getManyCompressedInto: (hashes, into) => o.client.getBlocksInto(hashes, into, o.signal),
      },
      manifest,
      disk,
      signal: o.signal,
      verify: o.verify ?? false,
      doneMapPath: join(o.stateDir, `${o.taskId}.donemap`),
      checkpointMs: 5000,
      workers: o.workers ?? 2,
      queueDepth: o.queueDepth ?? NETWORK_DEPLOY_DEPTH,
      progress: {
        progress(c: ProgressCounters) {
          if (c.phase !== phase) {
            phase = c.phase;
            reporter.phase(c.phase, c.phase === 'verify');
            if (c.phase === 'verify') reporter.totals(c.blocksTotal, c.bytesTotal);
          }
        },
        block(e: BlockEvent) {
          if (e.index < 0) return;
          const ref = manifest.blocks[e.index];
          const state =
            e.state === 'failed'
              ? 'failed'
              : e.state === 'verified'
                ? 'verified'
                : e.state === 'skipped'
                  ? 'skipped'
                  : 'written';
          reporter.block(e.index, state, ref?.length ?? 0, ref?.partition ?? null);
        },
      },
    });
  } finally {
    await disk.close();
  }
}
