/**
 * unicast: capture and deploy through brume-server over loopback (the client agent in this
 * process, the server a separate process on PostgreSQL) against partclone | zstd -3 into a file
 * and back, on the bench fixture's NTFS partition. Prints `unicast-capture` and `unicast-deploy`
 * with the engine benchmarks' keys; `ours_rss_mib` is the server's peak RSS, `pglite_rss_mib` the
 * same run's server peak on embedded PGlite.
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
  parseBenchOptions,
  round3,
  timed,
  WORK,
  warm,
} from './imaging-common.ts';
import type { Bench } from './main.ts';
import { type BenchServer, queueTask, startBenchServer } from './unicast-server.ts';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function checkedIn(s: BenchServer, mac: string, counter?: (n: number) => void) {
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

/** One capture and one deploy of partition `partition` through server `s`. */
async function throughServer(
  s: BenchServer,
  partition: number,
  dir: string,
  workers: number,
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
    const round = await throughServer(server, partition, dir, workers);
    return { round, rss: server.peakRssMib() };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const unicast: Bench = {
  summary: 'capture + deploy through the server over loopback vs partclone | zstd -3 into a file and back',
  async run(args) {
    const o = parseBenchOptions(args);
    const info = fixtureInfo();
    const partition = o.partition || 2;
    await warm(FIXTURE_DISK);
    log(`unicast on partition ${partition}; load ${await loadAverage()}`);
    const pg = await onServer('postgres', partition, o.workers);
    log(`postgres server: ${JSON.stringify(pg)}; load ${await loadAverage()}`);
    const anchorImage = join(WORK, 'unicast-anchor.pc.zst');
    const ac = await anchor('partclone-capture.sh', [
      FIXTURE_DISK,
      String(partition),
      anchorImage,
      String(o.level),
    ]);
    const ar = await anchor('partclone-restore.sh', [
      anchorImage,
      'ntfs',
      join(WORK, 'unicast-anchor.part'),
      info[`p${partition}_size_bytes`] as string,
    ]);
    rmSync(join(WORK, 'unicast-anchor.part'), { force: true });
    log(`anchors: capture ${ac.wall_s} s, restore ${ar.wall_s} s; load ${await loadAverage()}`);
    const lite = await onServer('pglite', partition, o.workers);
    log(`pglite server: ${JSON.stringify(lite)}`);
    const record = (
      bench: string,
      ours: number,
      anchorS: number,
      oursBytes: number,
      anchorBytes: number,
    ) => ({
      bench,
      ours_s: round3(ours),
      anchor_s: round3(anchorS),
      ratio: round3(ours / anchorS),
      ours_bytes: oursBytes,
      anchor_bytes: anchorBytes,
      bytes_ratio: round3(oursBytes / anchorBytes),
      ours_rss_mib: pg.rss,
      pglite_rss_mib: lite.rss,
      pglite_ours_s: round3(bench === 'unicast-capture' ? lite.round.captureS : lite.round.deployS),
    });
    const captureRecord = record(
      'unicast-capture',
      pg.round.captureS,
      Number(ac.wall_s),
      pg.round.captureBytes,
      Number(ac.bytes_out),
    );
    // The bench registry prints one record per bench; this one prints its first line itself.
    process.stdout.write(`${JSON.stringify(captureRecord)}\n`);
    return record(
      'unicast-deploy',
      pg.round.deployS,
      Number(ar.wall_s),
      pg.round.deployBytes,
      Number(ac.bytes_out),
    );
  },
};

export const unicastBenches: Record<string, Bench> = { unicast };
