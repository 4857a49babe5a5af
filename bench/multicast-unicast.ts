/**
 * `multicast-unicast`: Brume's own unicast deploy to the same 3 targets at the same time, through
 * the server, in the multicast bench topology (server in the sender namespace, one `brume client
 * --once` per receiver namespace, 1 Gbit/s ports). The sender's port carries the image once per
 * target: this is what multicast saves.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestChunkRef } from '../server/src/imaging/index.ts';
import { badBlocksOnDisk, makeDisk, REPO, SENDER_ADDR, Topology } from '../test/multicast/harness.ts';

const WORK = '/tmp/brume-bench-multicast-unicast';
const PORT = 8088;

const log = (m: string) => process.stderr.write(`[bench multicast-unicast] ${m}\n`);

export interface UnicastRun {
  readonly seconds: number;
  readonly wire: number;
  readonly verified: boolean;
  readonly codes: number[];
}

function exited(child: ChildProcess): Promise<number> {
  return new Promise((r) => child.once('exit', (code, signal) => r(code ?? (signal ? 128 : 1))));
}

/** Lines of a child's stdout until one parses as JSON with event 'ready'. */
function ready(child: ChildProcess, timeoutMs: number): Promise<{ macs: string[] }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    const t = setTimeout(() => reject(new Error('server driver not ready in time')), timeoutMs);
    child.once('exit', (code) => reject(new Error(`server driver exited with ${code}: ${err}`)));
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const l = JSON.parse(line) as { event?: string; macs: string[] };
          if (l.event === 'ready') {
            clearTimeout(t);
            resolve(l);
          }
        } catch {
          // a partial line: wait for the rest
        }
      }
    });
  });
}

/** One unicast deploy of `partition` of `disk` to `targets` clients at once; blocks verified after. */
export async function unicastToTargets(
  targets: number,
  linkRate: string,
  partition: number,
  diskSize: number,
  blocks: readonly ManifestChunkRef[],
): Promise<UnicastRun> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const topo = new Topology();
  let driver: ChildProcess | null = null;
  try {
    topo.up(targets, 0, linkRate, false);
    log('server in the sender namespace: start, capture the image through it (untimed)');
    driver = spawn(
      'ip',
      [
        'netns',
        'exec',
        topo.ns('s'),
        process.execPath,
        '--import',
        'tsx',
        'bench/multicast-unicast-server.ts',
        join(WORK, 'server'),
        String(PORT),
        String(partition),
        String(targets),
      ],
      { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const { macs } = await ready(driver, 900_000);
    const disks = macs.map((_, i) => join(WORK, `target-r${i + 1}.img`));
    for (const d of disks) makeDisk(d, diskSize);
    const tx0 = topo.txBytes('s');
    log(`${targets} clients deploy at once`);
    const t0 = performance.now();
    const clients = macs.map((mac, i) =>
      spawn(
        'ip',
        [
          'netns',
          'exec',
          topo.ns(`r${i + 1}`),
          process.execPath,
          join(REPO, 'tui/bin/brume.js'),
          'client',
          '--once',
          '--server',
          `http://${SENDER_ADDR}:${PORT}`,
          '--disk',
          disks[i] ?? '',
          '--mac',
          mac,
          '--state-dir',
          join(WORK, `state-r${i + 1}`),
        ],
        { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] },
      ),
    );
    const codes = await Promise.all(clients.map(exited));
    const seconds = (performance.now() - t0) / 1000;
    const wire = topo.txBytes('s') - tx0;
    const verified =
      codes.every((c) => c === 0) && disks.every((d) => badBlocksOnDisk(d, blocks).length === 0);
    return { seconds, wire, verified, codes };
  } finally {
    driver?.stdin?.end();
    if (driver) await Promise.race([exited(driver), new Promise((r) => setTimeout(r, 15_000))]);
    topo.down();
    rmSync(WORK, { recursive: true, force: true });
  }
}
