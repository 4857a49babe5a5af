/**
 * Many small capture + deploy + delete cycles against one brume-server child (PostgreSQL by
 * default), printing the server's resident memory after each cycle and after an idle spell: a
 * long-running lab server must not grow with every task it serves. No anchor: this checks the
 * server's memory over time, not a speed.
 *
 *   node --import tsx bench/soak-probe.ts [--cycles 20] [--database postgres|pglite] [--disk PATH --partition N]
 *
 * The default disk is the small fixture (`build-disk.sh --profile small`), its ext4 partition.
 */
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCapture } from '../tui/src/agent/capture-task.ts';
import { runDeploy } from '../tui/src/agent/deploy-task.ts';
import { ProgressReporter } from '../tui/src/agent/progress-reporter.ts';
import { blankFile, log, WORK } from './imaging-common.ts';
import { checkedIn, freePort } from './unicast.ts';
import { type BenchServer, queueTask, settle, startBenchServer } from './unicast-server.ts';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '20' },
    database: { type: 'string', default: 'postgres' },
    disk: { type: 'string', default: join(homedir(), '.cache', 'brume-fixtures', 'small', 'disk.img') },
    partition: { type: 'string', default: '3' },
  },
});

function rssMib(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kib ?? 0) / 1024);
}

/** Captures the disk into a new image, deploys it onto a blank file, then deletes the image. */
async function cycle(s: BenchServer, dir: string, disk: string, partition: number, i: number) {
  const abort = new AbortController();
  const cap = await queueTask(s, 'capture');
  const capturer = await checkedIn(s, cap.mac);
  const capReporter = new ProgressReporter(capturer.client, abort);
  capReporter.start();
  await runCapture({
    client: capturer.client,
    diskPath: disk,
    imageName: cap.imageName,
    reporter: capReporter,
    signal: abort.signal,
    partitions: [partition],
  });
  capReporter.stop();
  const dep = await queueTask(s, 'deploy', cap.imageId);
  const deployer = await checkedIn(s, dep.mac);
  const target = join(dir, 'target.img');
  await blankFile(target, statSync(disk).size);
  const depReporter = new ProgressReporter(deployer.client, abort);
  depReporter.start();
  await runDeploy({
    client: deployer.client,
    taskId: deployer.taskId,
    diskPath: target,
    pinnedSerial: null,
    stateDir: join(dir, `state-${i}`),
    reporter: depReporter,
    signal: abort.signal,
  });
  await depReporter.flush();
  depReporter.stop();
  await deployer.client.request('/v1/task/complete', { json: {} });
  rmSync(target, { force: true });
  const deleted = await s.gql<{ deleteImage: { __typename: string } }>(
    'mutation($i: DeleteImageInput!) { deleteImage(input: $i) { __typename } }',
    { i: { id: cap.imageId } },
  );
  if (deleted.deleteImage.__typename !== 'DeleteImageSuccess')
    throw new Error(`deleteImage: ${deleted.deleteImage.__typename}`);
}

async function main(): Promise<void> {
  const cycles = Number(values.cycles);
  const partition = Number(values.partition);
  const database = values.database === 'pglite' ? 'pglite' : 'postgres';
  const dir = join(WORK, 'soak');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const server = await startBenchServer(dir, await freePort(), database, await freePort());
  const pid = Number(readFileSync(join(dir, 'server.pid'), 'utf8').trim());
  try {
    await settle();
    const start = rssMib(pid);
    log(`server RSS after start and ${database} idle spell: ${start} MiB`);
    const after: number[] = [];
    for (let i = 0; i < cycles; i++) {
      await cycle(server, dir, values.disk, partition, i);
      after.push(rssMib(pid));
      log(`cycle ${i + 1}/${cycles}: server RSS ${after.at(-1)} MiB`);
    }
    await settle();
    const idle = rssMib(pid);
    log(`after an idle spell: ${idle} MiB`);
    console.log(
      JSON.stringify({
        probe: 'soak',
        database,
        cycles,
        rss_start_mib: start,
        rss_first_cycle_mib: after[0],
        rss_last_cycle_mib: after.at(-1),
        rss_idle_mib: idle,
        rss_peak_mib: server.peakRssMib(),
      }),
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
