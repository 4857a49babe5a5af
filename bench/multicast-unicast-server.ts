/**
 * Runs INSIDE the sender namespace of the multicast bench topology (`ip netns exec NS node ...`):
 * starts brume-server there (PGlite, listening on every address of that namespace only), captures
 * the bench fixture's partition through it with the client agent (untimed), queues one deploy task
 * per target, prints `{"event":"ready",...}` and keeps the server up until stdin closes.
 *
 *   multicast-unicast-server.ts DIR PORT PARTITION TARGETS
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCapture } from '../tui/src/agent/capture-task.ts';
import { ProgressReporter } from '../tui/src/agent/progress-reporter.ts';
import { TransferClient } from '../tui/src/agent/transfer-client.ts';
import { FIXTURE_DISK } from './imaging-common.ts';
import { type BenchServer, queueTask, readyAdminClient, startFlags } from './unicast-server.ts';

const REPO = resolve(import.meta.dirname, '..');

async function startServer(dir: string, port: number): Promise<{ server: BenchServer; child: ChildProcess }> {
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  // The flags of `npm start`, so this unicast is the server as it is run.
  const child = spawn(process.execPath, [...startFlags(), 'server/src/main.ts'], {
    cwd: REPO,
    env: {
      ...process.env,
      HOST: '0.0.0.0',
      PORT: String(port),
      BRUME_DATA_DIR: dataDir,
      BRUME_IMAGES_DIR: join(dir, 'images'),
      BRUME_LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const gql = await readyAdminClient(child, base, dataDir);
  const server: BenchServer = {
    base,
    gql,
    peakRssMib: () => 0,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
  return { server, child };
}

async function main(): Promise<void> {
  const [dir, port, partition, targets] = process.argv.slice(2);
  if (!dir || !port || !partition || !targets) throw new Error('usage: DIR PORT PARTITION TARGETS');
  const { server } = await startServer(dir, Number(port));
  try {
    const cap = await queueTask(server, 'capture');
    const client = new TransferClient({ server: server.base, mac: cap.mac });
    const r = await client.json<{ token: string | null }>('/v1/checkin', { json: { mac: cap.mac } });
    client.token = r.token;
    const abort = new AbortController();
    const reporter = new ProgressReporter(client, abort);
    reporter.start();
    await runCapture({
      client,
      diskPath: FIXTURE_DISK,
      imageName: cap.imageName,
      reporter,
      signal: abort.signal,
      partitions: [Number(partition)],
      workers: 1,
    });
    reporter.stop();
    const macs: string[] = [];
    for (let i = 0; i < Number(targets); i++) macs.push((await queueTask(server, 'deploy', cap.imageId)).mac);
    process.stdout.write(`${JSON.stringify({ event: 'ready', imageId: cap.imageId, macs })}\n`);
    await new Promise<void>((r) => {
      process.stdin.on('close', r);
      process.stdin.on('end', r);
      process.stdin.resume();
    });
  } finally {
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`multicast-unicast server: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
