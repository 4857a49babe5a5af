/**
 * capture-floor: the least a capture through a server can cost on this machine, against the
 * anchor. The client and server in `capture-floor/` do only what the unicast issue requires of any
 * implementation (the client names each block by sha256 and compresses it at the anchor's level;
 * the server decodes and hashes every frame again and makes each chunk file durable), over raw TCP,
 * without HTTP, a database, progress, a manifest or a task. If this does not beat the anchor, no
 * implementation of that work can on this machine. `--no-verify` skips the server's decode and
 * hash, to show what the verification alone costs. Not a product path: nothing here is imported
 * by the server or the client.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import {
  analyzePartition,
  openDisk,
  planPartitionBlocks,
  readDiskLayout,
} from '../server/src/imaging/index.ts';
import {
  anchor,
  FIXTURE_DISK,
  fixtureInfo,
  freshDir,
  loadAverage,
  log,
  median,
  round3,
  warm,
} from './imaging-common.ts';
import type { Bench } from './main.ts';
import { freePort } from './unicast.ts';

const run = promisify(execFile);
const HERE = join(import.meta.dirname, 'capture-floor');
const PARTITION = 2;
const BLOCK_SIZE = 1024 * 1024;

interface FloorRound {
  readonly wallS: number;
  readonly clientCpuS: number;
  readonly serverCpuS: number;
  readonly storedBytes: number;
}

/** The used blocks of the anchor's partition, as the engine plans them, written for the client. */
async function writePlan(path: string): Promise<number> {
  const disk = await openDisk(FIXTURE_DISK);
  try {
    const layout = await readDiskLayout(disk);
    const partition = layout.partitions.find((p) => p.number === PARTITION);
    if (partition === undefined) throw new Error(`the fixture has no partition ${PARTITION}`);
    const used = await analyzePartition(disk, partition);
    const blocks = [...planPartitionBlocks(partition, used, BLOCK_SIZE)].map((b) => ({
      offset: b.offset,
      length: b.length,
      used: b.used.map((r) => [r.offset, r.length]),
    }));
    writeFileSync(path, JSON.stringify(blocks));
    return blocks.length;
  } finally {
    await disk.close();
  }
}

function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function listening(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
  });
}

async function floorOnce(planPath: string, level: number, verify: boolean): Promise<FloorRound> {
  const storeDir = freshDir('floor-store');
  const port = await freePort();
  const args = [join(HERE, 'server.mjs'), storeDir, String(port), ...(verify ? [] : ['--no-verify'])];
  const server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await listening(server);
    const client = [join(HERE, 'client.mjs'), FIXTURE_DISK, planPath, String(port), String(level), '2'];
    const { stdout } = await run(process.execPath, client);
    const line = JSON.parse(stdout.trim()) as { wall_s: number; cpu_s: number };
    const serverCpuS = cpuSecondsOf(server.pid as number);
    const { stdout: du } = await run('du', ['-sb', storeDir]);
    return { wallS: line.wall_s, clientCpuS: line.cpu_s, serverCpuS, storedBytes: Number(du.split('\t')[0]) };
  } finally {
    server.kill();
    rmSync(storeDir, { recursive: true, force: true });
  }
}

/** Each timed run starts with no dirty pages of the previous one (the anchor never syncs its file). */
async function quiet(): Promise<void> {
  await run('sync');
}

const captureFloor: Bench = {
  summary: 'the least a verified capture through a server costs here (raw TCP, no HTTP/DB) vs the anchor',
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        rounds: { type: 'string', default: '6' },
        level: { type: 'string', default: '3' },
        'no-verify': { type: 'boolean', default: false },
      },
    });
    const rounds = Number(values.rounds);
    const level = Number(values.level);
    const verify = !values['no-verify'];
    fixtureInfo();
    const planPath = join(freshDir('floor'), 'plan.json');
    const blocks = await writePlan(planPath);
    log(`capture-floor: ${blocks} blocks, verify=${verify}, load ${await loadAverage()}`);
    await warm(FIXTURE_DISK);
    const ours: FloorRound[] = [];
    const anchors: number[] = [];
    let anchorBytes = 0;
    for (let i = 0; i < rounds; i++) {
      await quiet();
      const round = await floorOnce(planPath, level, verify);
      ours.push(round);
      const out = join(freshDir('floor-anchor'), 'anchor.zst');
      await quiet();
      const a = await anchor('partclone-capture.sh', [FIXTURE_DISK, String(PARTITION), out, String(level)]);
      rmSync(out);
      anchors.push(Number(a.wall_s));
      anchorBytes = Number(a.bytes_out);
      log(
        `round ${i + 1}: floor ${round.wallS.toFixed(2)} s (client ${round.clientCpuS.toFixed(2)}, ` +
          `server ${round.serverCpuS.toFixed(2)} CPU-s), anchor ${Number(a.wall_s).toFixed(2)} s`,
      );
    }
    const oursS = median(ours.map((r) => r.wallS));
    const anchorS = median(anchors);
    return {
      bench: 'capture-floor',
      verify,
      ours_s: round3(oursS),
      anchor_s: round3(anchorS),
      ratio: round3(oursS / anchorS),
      round_ratios: ours.map((r, i) => round3(r.wallS / (anchors[i] as number))),
      ours_cpu_s: round3(median(ours.map((r) => r.clientCpuS + r.serverCpuS))),
      ours_bytes: ours[0]?.storedBytes ?? 0,
      anchor_bytes: anchorBytes,
    };
  },
};

export const captureFloorBenches: Record<string, Bench> = { 'capture-floor': captureFloor };
