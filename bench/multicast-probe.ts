/**
 * One Brume multicast session for profiling (not a benchmark: no anchor). Sends the first BLOCKS
 * blocks of the bench image (captured by `npm run bench -- multicast`) to N receivers in the bench
 * topology, then prints wall time, datagrams/s, CPU seconds per process, repair volume and the
 * kernel's UDP receive-buffer drops in every receiver namespace.
 *
 *   node --import tsx bench/multicast-probe.ts [--blocks 200] [--receivers 3] [--loss 0]
 *        [--rate-mbit 930] [--workers 1] [--prof DIR] [--data-mac on|off]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sessionBlocks } from '../server/src/multicast/sender/engine-source.ts';
import { badBlocksOnDisk, type TestImage, Topology } from '../test/multicast/harness.ts';
import { startSession } from '../test/multicast/session-runner.ts';

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '200' },
    receivers: { type: 'string', default: '3' },
    loss: { type: 'string', default: '0' },
    'rate-mbit': { type: 'string', default: '930' },
    workers: { type: 'string', default: '1' },
    prof: { type: 'string' },
    'data-mac': { type: 'string', default: 'off' },
    frag: { type: 'string' },
  },
});
const IMAGE = join(homedir(), '.cache', 'brume-fixtures', 'bench-multicast-image');
const WORK = '/tmp/brume-multicast-probe';

/** Receiver-side UDP counters (RcvbufErrors, InErrors) of one namespace. */
function udpCounters(ns: string): Record<string, number> {
  const snmp = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp']).toString().split('\n');
  const rows = snmp.filter((l) => l.startsWith('Udp:'));
  const keys = rows[0]?.split(/\s+/).slice(1) ?? [];
  const vals = rows[1]?.split(/\s+/).slice(1).map(Number) ?? [];
  const out: Record<string, number> = {};
  keys.forEach((k, i) => {
    if (['InDatagrams', 'InErrors', 'RcvbufErrors'].includes(k)) out[k] = vals[i] ?? 0;
  });
  return out;
}

async function main(): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(IMAGE, 'manifest.json'), 'utf8'));
  const blocks = sessionBlocks(manifest).slice(0, Number(values.blocks));
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const blocksFile = join(WORK, 'blocks.json');
  writeFileSync(blocksFile, JSON.stringify({ blocks }));
  const storedBytes = blocks.reduce((n, b) => n + b.storedSize, 0);
  const diskSize = Math.max(...blocks.map((b) => b.offset + b.length));
  const image: TestImage = {
    dir: WORK,
    store: join(IMAGE, 'store'),
    blocksFile,
    blocks,
    diskSize,
    storedBytes,
  };
  const n = Number(values.receivers);
  const topo = new Topology();
  try {
    topo.up(n, values.loss, '1gbit', false);
    const prof = values.prof;
    if (prof) mkdirSync(prof, { recursive: true });
    const s = startSession(topo, image, {
      receivers: n,
      rateCap: (Number(values['rate-mbit']) * 1e6) / 8,
      workers: Number(values.workers),
      dataMac: values['data-mac'] !== 'off',
      holdSender: true,
      ...(values.frag ? { fragmentSize: Number(values.frag) } : {}),
      maxWaitMs: 60_000,
      ...(prof ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${prof}`] } : {}),
    });
    await new Promise((r) => setTimeout(r, 1000));
    const tx0 = topo.txBytes('s');
    const t0 = performance.now();
    s.startSender();
    const exits: number[] = [];
    const stamp = (i: number) => (c: number) => {
      exits[i] = performance.now();
      return c;
    };
    const codes = await Promise.all([
      s.sender.exited.then(stamp(0)),
      ...s.receivers.map((r, i) => r.exited.then(stamp(i + 1))),
    ]);
    const seconds = (performance.now() - t0) / 1000;
    const rep = s.sender.report ?? {};
    const out = {
      seconds: Math.round(seconds * 100) / 100,
      codes,
      storedMB: Math.round(storedBytes / 1e6),
      mbit: Math.round((storedBytes * 8) / 1e6 / seconds),
      wireRatio: Math.round(((topo.txBytes('s') - tx0) / storedBytes) * 1000) / 1000,
      runningMs: rep.runningMs,
      /** Seconds from the sender's exit to each receiver's (its last done-map sync, then close). */
      receiverTailS: exits.slice(1).map((t) => Math.round((t - (exits[0] ?? 0)) / 100) / 10),
      datagramsSent: rep.datagramsSent,
      repairPct: Math.round((1000 * Number(rep.repairBytesSent ?? 0)) / storedBytes) / 10,
      senderCpu: rep.cpu,
      receivers: s.receivers.map((r, i) => ({
        cpu: r.report?.cpu,
        ctx: [r.report?.voluntaryCtx, r.report?.involuntaryCtx],
        datagrams: r.report?.datagrams,
        nacked: r.report?.nackedFragments,
        drained: r.report?.drainedDatagrams,
        bad: badBlocksOnDisk(s.disks[i] ?? '', blocks).length,
        udp: udpCounters(topo.ns(`r${i + 1}`)),
      })),
      rates: s.sender.lines
        .filter((l) => l.event === 'progress')
        .map((l) => Math.round((Number(l.rateBytesPerSecond) * 8) / 1e6)),
      load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    };
    process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
  } finally {
    topo.down();
    rmSync(WORK, { recursive: true, force: true });
  }
}

await main();
