/**
 * One capture + deploy through a brume-server child on PostgreSQL, for profiling (no anchor):
 * wall time, CPU seconds per process and per thread kind (server from /proc/<pid>/task, client
 * from /proc/self/task), context switches of each process, the client's event-loop delay, and
 * with `--prof DIR` CPU profiles of both processes (and their worker threads). Phase boundaries
 * are logged on the monotonic clock the profiles' timestamps use, so a profile can be cut to one
 * phase.
 *
 *   node [--cpu-prof --cpu-prof-dir=DIR] --import tsx bench/unicast-probe.ts [--prof DIR] [--workers 2]
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { RemoteChunkSink } from '../tui/src/agent/remote-chunk-sink.ts';
import { TransferClient } from '../tui/src/agent/transfer-client.ts';
import { FIXTURE_DISK, loadAverage, log, WORK, warm } from './imaging-common.ts';
import { freePort, throughServer } from './unicast.ts';
import { SETTLE_S, settle, startBenchServer } from './unicast-server.ts';

const { values } = parseArgs({
  options: {
    prof: { type: 'string' },
    workers: { type: 'string', default: '2' },
    database: { type: 'string', default: 'postgres' },
    /** Extra node flags for the server (repeatable), e.g. --server-arg=--trace-gc. */
    'server-arg': { type: 'string', multiple: true, default: [] },
    /** Seconds the server is left idle before the capture (see SETTLE_S). */
    settle: { type: 'string', default: String(SETTLE_S) },
  },
});

/**
 * Time the capture's runners spend waiting on the server: each upload's round trip (body sent,
 * verified, stored, answered) and each `missing` look-up, and how many waited at once on average.
 */
const waits = { put: [] as number[], keep: [] as number[], missingRequests: 0 };
function instrumentSink(): void {
  const json = TransferClient.prototype.json;
  TransferClient.prototype.json = function (this: TransferClient, ...args: Parameters<typeof json>) {
    if (args[0] === '/v1/capture/missing') waits.missingRequests++;
    return json.apply(this, args);
  } as typeof json;
  const proto = RemoteChunkSink.prototype;
  const put = proto.put;
  const keep = proto.keep;
  proto.put = async function (this: RemoteChunkSink, ...args: Parameters<typeof put>) {
    const t = performance.now();
    try {
      return await put.apply(this, args);
    } finally {
      waits.put.push(performance.now() - t);
    }
  };
  proto.keep = async function (this: RemoteChunkSink, ...args: Parameters<typeof keep>) {
    const t = performance.now();
    try {
      return await keep.apply(this, args);
    } finally {
      waits.keep.push(performance.now() - t);
    }
  };
}

function waitSummary(name: string, xs: number[], wallMs: number): string {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s[Math.floor(q * (s.length - 1))] ?? 0).toFixed(1);
  const total = xs.reduce((a, b) => a + b, 0);
  return `${name}: ${xs.length} calls, p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms, mean waiting at once ${(total / wallMs).toFixed(1)}`;
}

/** CPU seconds per thread name (comm) of process `pid`. */
function threadCpu(pid: number | 'self'): Record<string, number> {
  const out: Record<string, number> = {};
  const dir = `/proc/${pid}/task`;
  for (const tid of readdirSync(dir)) {
    let stat: string;
    try {
      stat = readFileSync(join(dir, tid, 'stat'), 'utf8');
    } catch {
      continue;
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out[name] = Math.round(((out[name] ?? 0) + (Number(f[11]) + Number(f[12])) / 100) * 100) / 100;
  }
  return out;
}

function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
    out[k] = Math.round(((b[k] ?? 0) - (a[k] ?? 0)) * 100) / 100;
  return out;
}

/** Context switches (voluntary, involuntary) summed over the threads of process `pid`. */
function switches(pid: number | 'self'): [number, number] {
  let v = 0;
  let n = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    } catch {
      continue;
    }
    v += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    n += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return [v, n];
}

/** [user, system] CPU seconds of a process. */
function userSys(pid: number | 'self'): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(f[11]) / 100, Number(f[12]) / 100];
}

const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function main(): Promise<void> {
  instrumentSink();
  const dir = join(WORK, 'unicast-probe');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await warm(FIXTURE_DISK);
  const prof = values.prof;
  if (prof) mkdirSync(prof, { recursive: true });
  const nodeArgs = [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), ...values['server-arg']];
  const database = values.database === 'pglite' ? 'pglite' : 'postgres';
  const server = await startBenchServer(dir, await freePort(), database, await freePort(), nodeArgs);
  const serverPid = Number(readFileSync(join(dir, 'server.pid'), 'utf8').trim());
  await settle(Number(values.settle));
  log(`load ${await loadAverage()}`);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const marks: {
    su: [number, number];
    cu: [number, number];
    at: number;
    client: number;
    server: number;
    st: Record<string, number>;
    ct: Record<string, number>;
    sw: [number, number];
    cw: [number, number];
  }[] = [];
  const mark = () =>
    marks.push({
      su: userSys(serverPid),
      cu: userSys('self'),
      at: performance.now(),
      client: cpuS(),
      server: server.cpuSeconds?.() ?? 0,
      st: threadCpu(serverPid),
      ct: threadCpu('self'),
      sw: switches(serverPid),
      cw: switches('self'),
    });
  // The server's resident set, sampled: its peak per phase (VmHWM only gives the whole run's).
  let rssPeak = 0;
  const rssOf = () =>
    Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${serverPid}/status`, 'utf8'))?.[1] ?? 0);
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssOf());
  }, 100);
  log(`server RSS after start ${Math.round(rssOf() / 1024)} MiB`);
  try {
    mark();
    log(`phase start at ${process.hrtime.bigint() / 1000n} us (monotonic, as in cpuprofiles)`);
    loop.enable();
    await throughServer(server, 2, dir, Number(values.workers), (phase) => {
      mark();
      log(`${phase} ended at ${process.hrtime.bigint() / 1000n} us (monotonic)`);
      log(`${phase}: server RSS peak in phase ${Math.round(rssPeak / 1024)} MiB`);
      rssPeak = 0;
      log(
        `${phase}: client loop delay p50 ${(loop.percentile(50) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`,
      );
      loop.reset();
    });
    const captureMs = (marks[1]?.at ?? 0) - (marks[0]?.at ?? 0);
    log(waitSummary('upload round trips', waits.put, captureMs));
    log(`${waitSummary('missing look-ups', waits.keep, captureMs)}, ${waits.missingRequests} requests`);
    for (const [i, phase] of ['capture', 'deploy'].entries()) {
      const a = marks[i] as (typeof marks)[number];
      const b = marks[i + 1] as (typeof marks)[number];
      log(
        `${phase}: wall ${((b.at - a.at) / 1000).toFixed(2)} s, CPU client ${(b.client - a.client).toFixed(2)} s, server ${(b.server - a.server).toFixed(2)} s`,
      );
      const us = (x: [number, number], y: [number, number]) =>
        `user ${(y[0] - x[0]).toFixed(2)} sys ${(y[1] - x[1]).toFixed(2)}`;
      log(`  server ${us(a.su, b.su)}; client ${us(a.cu, b.cu)}`);
      log(`  server threads ${JSON.stringify(diff(a.st, b.st))}`);
      const sw = (x: [number, number], y: [number, number]) =>
        `${y[0] - x[0]} voluntary, ${y[1] - x[1]} involuntary`;
      log(`  context switches: server ${sw(a.sw, b.sw)}; client ${sw(a.cw, b.cw)}`);
      log(`  client threads ${JSON.stringify(diff(a.ct, b.ct))}`);
    }
    log(`server peak RSS ${server.peakRssMib()} MiB; load ${await loadAverage()}`);
  } finally {
    clearInterval(sampler);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
