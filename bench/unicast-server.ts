/**
 * A brume-server child process for the unicast benchmark: on PostgreSQL (through `.ci/with-postgres`,
 * a throwaway cluster) or on embedded PGlite, with its peak RSS read from /proc, and the few
 * GraphQL calls the benchmark needs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const REPO = resolve(import.meta.dirname, '..');

export type BenchGql = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

export interface BenchServer {
  readonly base: string;
  /** Peak resident set of the server process (VmHWM), MiB. */
  peakRssMib(): number;
  /** CPU seconds (user + system, all threads) the server process has used so far. */
  cpuSeconds?(): number;
  gql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * The node flags of `npm start` (root package.json: `node <flags> server/src/main.ts`), so the
 * benchmark measures the server exactly as it is started (heap flags included).
 */
export function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const m = /^node\s+(.*?)\s*server\/src\/main\.ts$/.exec(pkg.scripts.start.trim());
  if (!m) throw new Error(`npm start is not "node <flags> server/src/main.ts": ${pkg.scripts.start}`);
  const flags = (m[1] ?? '').split(/\s+/).filter(Boolean);
  if (flags.some((f) => !/^--[\w-]+(=[\w./-]+)?$|^[\w./-]+$/.test(f)))
    throw new Error(`unexpected flag in npm start: ${pkg.scripts.start}`);
  return flags;
}

function nodePid(pidFile: string, child: ChildProcess): number {
  try {
    return Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return child.pid ?? 0;
  }
}

export async function startBenchServer(
  dir: string,
  port: number,
  database: 'postgres' | 'pglite',
  pgPort = port + 1,
  nodeArgs: readonly string[] = [],
): Promise<BenchServer> {
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const pidFile = join(dir, 'server.pid');
  // PORT is set here: with-postgres uses (and exports) a PORT variable of its own.
  const server = `echo $$ > '${pidFile}'; ${database === 'postgres' ? 'DATABASE_URL="$BRUME_TEST_DATABASE_URL" ' : ''}PORT=${port} exec '${process.execPath}' ${nodeArgs.map((a) => `'${a}'`).join(' ')} ${startFlags().join(' ')} server/src/main.ts`;
  const command =
    database === 'postgres' ? ['bash', '.ci/with-postgres', 'sh', '-c', server] : ['sh', '-c', server];
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: REPO,
    env: {
      ...process.env,
      BRUME_PG_PORT: String(pgPort),
      HOST: '127.0.0.1',
      BRUME_DATA_DIR: dataDir,
      BRUME_IMAGES_DIR: join(dir, 'images'),
      BRUME_LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    // BENCH_SERVER_STDOUT=1 shows what the server prints there (with --server-arg=--trace-gc, say).
    stdio: ['ignore', process.env.BENCH_SERVER_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const base = `http://127.0.0.1:${port}`;
  const gql = await readyAdminClient(child, base, dataDir);
  const pid = nodePid(pidFile, child);
  return {
    base,
    gql,
    peakRssMib() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
      return Math.round(kib / 1024);
    },
    cpuSeconds() {
      // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name): utime, stime in ticks.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await exited;
    },
  };
}

/**
 * How long a freshly started server is left idle before it is measured. A lab's server has been
 * up for hours when a capture comes in: V8's memory reducer has shrunk its heap after start-up
 * (it runs ~8 s after activity stops), so the capture meets the heap limits of an idle server,
 * not the generous ones start-up leaves behind. Measured at once, the benchmark missed a storm
 * of ~40 major GCs that an idle server met in every capture (3.6 CPU-s on average). 20 s covers the reducer.
 */
export const SETTLE_S = 20;

/** Leaves the server idle for `seconds` (see SETTLE_S). */
export function settle(seconds = SETTLE_S): Promise<void> {
  return sleep(seconds * 1000);
}

let seq = 0;

/** A host, an image and a queued task of `kind` for the host; returns the host's MAC and the image name. */
export async function queueTask(s: BenchServer, kind: 'capture' | 'deploy', imageId?: string) {
  seq++;
  const mac = `52:54:03:00:${(seq >> 8).toString(16).padStart(2, '0')}:${(seq & 0xff).toString(16).padStart(2, '0')}`;
  const host = await s.gql<{ createHost: { host: { id: string } } }>(
    'mutation($i: CreateHostInput!) { createHost(input: $i) { ... on CreateHostSuccess { host { id } } } }',
    { i: { name: `bench-${seq}`, macs: [mac] } },
  );
  let image = imageId;
  const name = `bench-${Date.now()}-${seq}`;
  if (!image) {
    const created = await s.gql<{ createImage: { image: { id: string } } }>(
      'mutation($i: CreateImageInput!) { createImage(input: $i) { ... on CreateImageSuccess { image { id } } } }',
      { i: { name, osType: 'WINDOWS_10', imageType: 'MULTIPLE_PARTITION_SINGLE_DISK' } },
    );
    image = created.createImage.image.id;
  }
  const hostId = host.createHost.host.id;
  if (kind === 'capture') {
    await s.gql('mutation($i: StartCaptureInput!) { startCapture(input: $i) { __typename } }', {
      i: { hostId, imageId: image },
    });
  } else {
    await s.gql('mutation($i: StartDeployInput!) { startDeploy(input: $i) { __typename } }', {
      i: { hostIds: [hostId], imageId: image },
    });
  }
  return { mac, imageId: image, imageName: name };
}

/** GraphQL as the first admin, once the server at `base` answers /healthz (4 minutes at most). */
export async function readyAdminClient(
  child: ChildProcess,
  base: string,
  dataDir: string,
): Promise<BenchGql> {
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error('bench server exited during start-up');
    const up = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 1200) throw new Error('bench server not ready after 4 minutes');
    await sleep(200);
  }
  const password = readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').trim();
  let token = '';
  const gql: BenchGql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: unknown };
    if (body.errors || !body.data) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const login = await gql<{ login: { token?: string } }>(
    'mutation($i: LoginInput!) { login(input: $i) { ... on LoginSuccess { token } } }',
    { i: { username: 'admin', password } },
  );
  token = login.login.token ?? '';
  return gql;
}
