/**
 * unicast: capture and deploy through brume-server over loopback (the client agent in this
 * process, the server a separate process on PostgreSQL) against partclone | zstd -3 into a file
 * and back, on the bench fixture's NTFS partition. Prints `unicast-capture` and `unicast-deploy`
 * with the engine benchmarks' keys. Rounds are interleaved (ours, anchor, ours, anchor, ...; `--rounds N`)
 * and medians reported; `ours_rss_mib` is the server's peak RSS (the highest of the rounds),
 * `pglite_rss_mib` the server's peak in one more round on embedded PGlite. Each server is left
 * idle for SETTLE_S before its capture, as a lab's long-running server would be.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { runCapture } from '../tui/src/agent/capture-task.ts';
import { runDeploy } from '../tui/src/agent/deploy-task.ts';
import { ProgressReporter } from '../tui/src/agent/progress-reporter.ts';
import { TransferClient } from '../tui/src/agent/transfer-client.ts';
import {
  anchor,
  blankFile,
  FIXTURE_DISK,
  fixtureInfo,
  loadAverage,
  log,
  median,
  parseBenchOptions,
  round3,
  timed,
  WORK,
  warm,
} from './imaging-common.ts';
import type { Bench } from './main.ts';
import { type BenchServer, queueTask, settle, startBenchServer } from './unicast-server.ts';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function checkedIn(s: BenchServer, mac: string, counter?: (n: number) => void) {
  const client = new TransferClient({ server: s.base, mac, ...(counter ? { onBlockBytes: counter } : {}) });
  const r = await client.json<{ token: string | null; task: { id: string } | null }>('/v1/checkin', {
    json: { mac },
  });
  if (!r.token || !r.task) throw new Error('no task handed out');
  client.token = r.token;
  return { client, taskId: r.task.id };
}

interface Round {
  captureS: number;
  captureBytes: number;
  deployS: number;
  deployBytes: number;
}

/** One capture and one deploy of partition `partition` through server `s`; `mark` is called after each. */
export async function throughServer(
  s: BenchServer,
  partition: number,
  dir: string,
  workers: number,
  mark: (phase: 'captured' | 'deployed') => void = () => {},
): Promise<Round> {
  const cap = await queueTask(s, 'capture');
  const { client } = await checkedIn(s, cap.mac);
  const abort = new AbortController();
  const capReporter = new ProgressReporter(client, abort);
  capReporter.start();
  const captured = await timed(() =>
    runCapture({
      client,
      diskPath: FIXTURE_DISK,
      imageName: cap.imageName,
      reporter: capReporter,
      signal: abort.signal,
      partitions: [partition],
      workers,
    }),
  );
  capReporter.stop();
  mark('captured');
  const dep = await queueTask(s, 'deploy', cap.imageId);
  let fetched = 0;
  const deployer = await checkedIn(s, dep.mac, (n) => {
    fetched += n;
  });
  const target = join(dir, 'target.img');
  const size = Number(fixtureInfo().disk_bytes);
  await blankFile(target, size);
  const depReporter = new ProgressReporter(deployer.client, abort);
  depReporter.start();
  const deployed = await timed(async () => {
    await runDeploy({
      client: deployer.client,
      taskId: deployer.taskId,
      diskPath: target,
      pinnedSerial: null,
      stateDir: join(dir, 'state'),
      reporter: depReporter,
      signal: abort.signal,
      workers,
    });
    await depReporter.flush();
  });
  depReporter.stop();
  mark('deployed');
  await deployer.client.request('/v1/task/complete', { json: {} });
  rmSync(target, { force: true });
  return {
    captureS: captured.seconds,
    captureBytes: captured.value.bytesUploaded,
    deployS: deployed.seconds,
    deployBytes: fetched,
  };
}

async function onServer(database: 'postgres' | 'pglite', partition: number, workers: number) {
  const dir = join(WORK, `unicast-${database}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const server = await startBenchServer(dir, await freePort(), database, await freePort());
  try {
    await settle();
    const round = await throughServer(server, partition, dir, workers);
    return { round, rss: server.peakRssMib() };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface AnchorRound {
  captureS: number;
  restoreS: number;
  bytes: number;
}

async function anchorRound(partition: number, level: number): Promise<AnchorRound> {
  const anchorImage = join(WORK, 'unicast-anchor.pc.zst');
  const ac = await anchor('partclone-capture.sh', [
    FIXTURE_DISK,
    String(partition),
    anchorImage,
    String(level),
  ]);
  const ar = await anchor('partclone-restore.sh', [
    anchorImage,
    'ntfs',
    join(WORK, 'unicast-anchor.part'),
    fixtureInfo()[`p${partition}_size_bytes`] as string,
  ]);
  rmSync(join(WORK, 'unicast-anchor.part'), { force: true });
  rmSync(anchorImage, { force: true });
  return { captureS: Number(ac.wall_s), restoreS: Number(ar.wall_s), bytes: Number(ac.bytes_out) };
}

const unicast: Bench = {
  summary: 'capture + deploy through the server over loopback vs partclone | zstd -3 into a file and back',
  async run(args) {
    const o = parseBenchOptions(args);
    const partition = o.partition || 2;
    await warm(FIXTURE_DISK);
    log(`unicast on partition ${partition}, ${o.rounds} rounds; load ${await loadAverage()}`);
    // Interleaved (ours, anchor, ours, anchor, ...), each of ours on a fresh server and store (a
    // second capture into the same store would upload nothing), medians reported.
    const ours: { round: Round; rss: number }[] = [];
    const anchors: AnchorRound[] = [];
    for (let r = 0; r < o.rounds; r++) {
      const pg = await onServer('postgres', partition, o.workers);
      ours.push(pg);
      const a = await anchorRound(partition, o.level);
      anchors.push(a);
      log(
        `round ${r + 1}: capture ours ${pg.round.captureS.toFixed(2)} s / anchor ${a.captureS} s, deploy ours ${pg.round.deployS.toFixed(2)} s / anchor ${a.restoreS} s, server peak ${pg.rss} MiB; load ${await loadAverage()}`,
      );
    }
    // PGlite once, after the rounds: its cost is memory (and start-up), reported alongside.
    const lite = await onServer('pglite', partition, o.workers);
    log(`pglite server: ${JSON.stringify(lite)}; load ${await loadAverage()}`);
    const last = ours.at(-1) as { round: Round };
    const anchorBytes = (anchors.at(-1) as AnchorRound).bytes;
    const record = (bench: string, oursS: number[], anchorS: number[], oursBytes: number, liteS: number) => ({
      bench,
      ours_s: round3(median(oursS)),
      anchor_s: round3(median(anchorS)),
      ratio: round3(median(oursS) / median(anchorS)),
      ours_bytes: oursBytes,
      anchor_bytes: anchorBytes,
      bytes_ratio: round3(oursBytes / anchorBytes),
      // The server's peak over every round (the target is a peak, so the worst round counts).
      ours_rss_mib: Math.max(...ours.map((x) => x.rss)),
      pglite_rss_mib: lite.rss,
      pglite_ours_s: round3(liteS),
      rounds_ours_s: oursS.map(round3),
      rounds_anchor_s: anchorS,
      rounds_rss_mib: ours.map((x) => x.rss),
    });
    const captureRecord = record(
      'unicast-capture',
      ours.map((x) => x.round.captureS),
      anchors.map((a) => a.captureS),
      last.round.captureBytes,
      lite.round.captureS,
    );
    // The bench registry prints one record per bench; this one prints its first line itself.
    process.stdout.write(`${JSON.stringify(captureRecord)}\n`);
    return record(
      'unicast-deploy',
      ours.map((x) => x.round.deployS),
      anchors.map((a) => a.restoreS),
      last.round.deployBytes,
      lite.round.deployS,
    );
  },
};

export const unicastBenches: Record<string, Bench> = { unicast };
