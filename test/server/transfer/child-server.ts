/**
 * brume-server as a child process (for `kill -9` and for a store on a size-limited tmpfs mounted
 * in a private mount namespace of its own: `unshare -m` then `mount -t tmpfs`). Its PGlite data
 * dir is loaded from the test harness's migrated dump so a start costs no initdb.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { migrationsFolder } from '../../../server/src/db/db.ts';
import type { GraphQLResponse } from '../../support/app.ts';
import { createTestDatabase } from '../../support/database.ts';
import { testCacheDir } from '../../support/test-env.ts';
import { type ApiTarget, REPO, until } from './transfer-harness.ts';

function migrationsDigest(): string {
  const hash = createHash('sha256');
  for (const dir of fs.readdirSync(migrationsFolder).sort()) {
    const file = path.join(migrationsFolder, dir, 'migration.sql');
    if (fs.existsSync(file)) hash.update(dir).update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** A migrated PGlite data dir at `dir` (from the harness's cached dump). */
export async function preparePgliteDir(dir: string): Promise<void> {
  const dump = path.join(testCacheDir, `pglite-${migrationsDigest()}.tar.gz`);
  if (!fs.existsSync(dump)) await (await createTestDatabase()).close();
  const pg = await PGlite.create(dir, { loadDataDir: new Blob([fs.readFileSync(dump)]) });
  await pg.close();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface ChildServerOptions {
  readonly dataDir: string;
  readonly imagesDir: string;
  readonly port: number;
  /** Mount a tmpfs of this size (e.g. `24m`) on imagesDir inside a private mount namespace. */
  readonly tmpfsSize?: string;
}

export interface ChildServer extends ApiTarget {
  readonly process: ChildProcess;
  readonly log: () => string;
  /** Ends with a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

async function login(base: string, dataDir: string): Promise<string> {
  const password = fs.readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8').trim();
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($i: LoginInput!) { login(input: $i) { ... on LoginSuccess { token } } }',
      variables: { i: { username: 'admin', password } },
    }),
  });
  const body = (await res.json()) as { data?: { login?: { token?: string } } };
  const token = body.data?.login?.token;
  if (!token) throw new Error(`login failed: ${JSON.stringify(body)}`);
  return token;
}

export async function startChildServer(o: ChildServerOptions, operator?: string): Promise<ChildServer> {
  fs.mkdirSync(o.imagesDir, { recursive: true });
  const node = [process.execPath, '--import', 'tsx', 'server/src/main.ts'];
  const command = o.tmpfsSize
    ? [
        'unshare',
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount -t tmpfs -o size="$TMPFS_SIZE" tmpfs "$BRUME_IMAGES_DIR" && exec "$@"',
        'sh',
        ...node,
      ]
    : node;
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: REPO,
    env: {
      ...process.env,
      PORT: String(o.port),
      HOST: '127.0.0.1',
      BRUME_DATA_DIR: o.dataDir,
      BRUME_IMAGES_DIR: o.imagesDir,
      BRUME_LOG_LEVEL: 'warn',
      TMPFS_SIZE: o.tmpfsSize ?? '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${o.port}`;
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`server exited: ${log}`);
      return fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    120_000,
    'child server ready',
  );
  const token = operator ?? (await login(base, o.dataDir));
  return {
    process: child,
    base,
    operator: token,
    log: () => log,
    async gql<T>(query: string, options: { token?: string; variables?: Record<string, unknown> }) {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token ?? token}` },
        body: JSON.stringify({ query, variables: options.variables ?? {} }),
      });
      return { status: res.status, ...((await res.json()) as Omit<GraphQLResponse<T>, 'status'>) };
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
