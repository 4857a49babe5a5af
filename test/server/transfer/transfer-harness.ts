/** Shared set-up of the data-plane tests: a listening app with its own image store, GraphQL helpers, the client. */
import { execFile, spawn } from 'node:child_process';
import { createHash, createCipheriv as cryptoCreateCipheriv } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  captureDisk,
  type Manifest,
  manifestDigest,
  openDisk,
  openLocalStore,
} from '../../../server/src/imaging/index.ts';
import { type GraphQLResponse, startTestApp, type TestApp } from '../../support/app.ts';

const run = promisify(execFile);
export const REPO = path.resolve(import.meta.dirname, '../../..');
export const FIXTURE_DIR = path.join(os.homedir(), '.cache', 'brume-fixtures', 'small');
export const FIXTURE_DISK = path.join(FIXTURE_DIR, 'disk.img');
export const hasFixture = fs.existsSync(path.join(FIXTURE_DIR, 'info.txt'));

/** A server the GraphQL helpers can drive: in-process or a child process. */
export interface ApiTarget {
  readonly base: string;
  readonly operator: string;
  gql<T>(
    query: string,
    options: { token?: string; variables?: Record<string, unknown> },
  ): Promise<GraphQLResponse<T>>;
}

export interface TransferApp extends ApiTarget {
  readonly t: TestApp;
  readonly base: string;
  readonly wsUrl: string;
  readonly operator: string;
  readonly imagesDir: string;
  readonly work: string;
  close(): Promise<void>;
}

export async function startTransferApp(env: Record<string, string> = {}): Promise<TransferApp> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'brume-transfer-'));
  const imagesDir = path.join(work, 'images');
  const t = await startTestApp({ BRUME_IMAGES_DIR: imagesDir, ...env });
  const { url, wsUrl } = await t.listen();
  const operator = (await t.createUser('OPERATOR')).token;
  return {
    t,
    base: url.replace(/\/graphql$/, ''),
    wsUrl,
    operator,
    imagesDir,
    work,
    gql: (query, options) => t.gql(query, options),
    async close() {
      await t.close();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

let seq = 0;
export function uniqueMac(): string {
  seq++;
  return `52:54:02:${(process.pid & 0xff).toString(16).padStart(2, '0')}:${((seq >> 8) & 0xff).toString(16).padStart(2, '0')}:${(seq & 0xff).toString(16).padStart(2, '0')}`;
}

async function gql<T>(a: ApiTarget, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await a.gql<T>(query, { token: a.operator, variables });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as T;
}

export async function createHost(a: ApiTarget, mac = uniqueMac()): Promise<{ id: string; mac: string }> {
  const d = await gql<{ createHost: { host?: { id: string }; message?: string } }>(
    a,
    'mutation($i: CreateHostInput!) { createHost(input: $i) { ... on CreateHostSuccess { host { id } } ... on Error { message } } }',
    { i: { name: `h${process.pid % 1000}-${++seq}`, macs: [mac] } },
  );
  if (!d.createHost.host) throw new Error(d.createHost.message);
  return { id: d.createHost.host.id, mac };
}

export async function createImage(
  a: ApiTarget,
  name = `img-${process.pid}-${++seq}`,
): Promise<{ id: string; name: string }> {
  const d = await gql<{ createImage: { image?: { id: string }; message?: string } }>(
    a,
    'mutation($i: CreateImageInput!) { createImage(input: $i) { ... on CreateImageSuccess { image { id } } ... on Error { message } } }',
    { i: { name, osType: 'WINDOWS_10', imageType: 'MULTIPLE_PARTITION_SINGLE_DISK' } },
  );
  if (!d.createImage.image) throw new Error(d.createImage.message);
  return { id: d.createImage.image.id, name };
}

export interface QueuedTask {
  readonly id: string;
  readonly rawId: string;
}

export const rawId = (globalId: string): string => decodeGlobalID(globalId).id;
const queued = (id: string): QueuedTask => ({ id, rawId: rawId(id) });

export async function startCapture(a: ApiTarget, hostId: string, imageId: string): Promise<QueuedTask> {
  const d = await gql<{ startCapture: { task?: { id: string }; __typename: string; message?: string } }>(
    a,
    'mutation($i: StartCaptureInput!) { startCapture(input: $i) { __typename ... on StartCaptureSuccess { task { id } } ... on Error { message } } }',
    { i: { hostId, imageId } },
  );
  if (!d.startCapture.task) throw new Error(`${d.startCapture.__typename}: ${d.startCapture.message}`);
  return queued(d.startCapture.task.id);
}

export async function startDeploy(a: ApiTarget, hostId: string, imageId: string): Promise<QueuedTask> {
  const d = await gql<{ startDeploy: { tasks?: { id: string }[]; message?: string } }>(
    a,
    'mutation($i: StartDeployInput!) { startDeploy(input: $i) { ... on StartDeploySuccess { tasks { id } } ... on Error { message } } }',
    { i: { hostIds: [hostId], imageId } },
  );
  if (!d.startDeploy.tasks?.[0]) throw new Error(d.startDeploy.message);
  return queued(d.startDeploy.tasks[0].id);
}

export async function taskState(a: TransferApp, taskId: string) {
  return a.t.app.services.tasks.getTask(taskId);
}

export interface ClientRun {
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs `brume client ... --once` as a child process. */
export function runClient(args: string[], options: { onStderr?: (line: string) => void } = {}) {
  const child = spawn(process.execPath, [path.join(REPO, 'tui/bin/brume.js'), 'client', '--once', ...args], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    options.onStderr?.(chunk.toString());
  });
  const done = new Promise<ClientRun>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return { child, done };
}

export function blankFile(file: string, size: number): void {
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, '');
  fs.truncateSync(file, size);
}

/** sha256 of every manifest block range of a disk file. */
export function blockHashes(file: string, manifest: Manifest): string[] {
  const fd = fs.openSync(file, 'r');
  try {
    return manifest.blocks.map((b) => {
      const buf = Buffer.alloc(b.length);
      fs.readSync(fd, buf, 0, b.length, b.offset);
      return createHash('sha256').update(buf).digest('hex');
    });
  } finally {
    fs.closeSync(fd);
  }
}

export async function diskFiles(file: string): Promise<string> {
  const { stdout } = await run('bash', ['/work/shared/fixtures/disk-files.sh', file], {
    maxBuffer: 16 << 20,
  });
  return stdout;
}

export interface ProgressEvent {
  blocksDone: number;
  blocksTotal: number;
  bytesDone: number;
  bytesTotal: number;
  phase: string | null;
  blocks: { index: number; state: string }[] | null;
  doneRanges: number[] | null;
}

/** Subscribes to taskProgress over graphql-ws and collects every event. */
export function watchProgress(a: TransferApp, taskId: string) {
  const client = createClient({
    url: a.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${a.operator}` },
    retryAttempts: 0,
  });
  const events: ProgressEvent[] = [];
  let failure: unknown = null;
  const unsubscribe = client.subscribe<{ taskProgress: ProgressEvent }>(
    {
      query: `subscription($id: ID!) { taskProgress(taskId: $id) {
        blocksDone blocksTotal bytesDone bytesTotal phase doneRanges blocks { index state } } }`,
      variables: { id: taskId },
    },
    {
      next: (msg) => {
        if (msg.errors) failure = msg.errors;
        if (msg.data) events.push(msg.data.taskProgress);
      },
      error: (e) => {
        failure = e;
      },
      complete: () => {},
    },
  );
  return {
    events,
    failure: () => failure,
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition') {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function cancelTask(a: ApiTarget, taskId: string): Promise<void> {
  await gql(a, 'mutation($i: CancelTaskInput!) { cancelTask(input: $i) { __typename } }', {
    i: { id: taskId },
  });
}

export async function setProtected(a: ApiTarget, imageId: string, value: boolean): Promise<void> {
  await gql(a, 'mutation($i: SetImageProtectedInput!) { setImageProtected(input: $i) { __typename } }', {
    i: { id: imageId, protected: value },
  });
}

/** One raw data-plane call. */
export async function call(
  a: Pick<ApiTarget, 'base'>,
  method: string,
  route: string,
  options: {
    token?: string | null;
    mac?: string;
    json?: unknown;
    body?: Uint8Array<ArrayBuffer>;
    headers?: Record<string, string>;
  } = {},
) {
  const res = await fetch(`${a.base}${route}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.mac ? { 'brume-mac': options.mac } : {}),
      ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

export async function checkIn(a: Pick<ApiTarget, 'base'>, mac: string) {
  const r = await call(a, 'POST', '/v1/checkin', { json: { mac } });
  return r.body as {
    host: { state: string };
    task: { id: string; kind: string } | null;
    token: string | null;
  };
}

export async function auditOutcomes(a: TransferApp, action: string): Promise<string[]> {
  const rows = await a.t.app.services.audit.list({ action }, { offset: 0, limit: 100 });
  return rows.map((r) => `${r.allowed ? 'allowed' : 'refused'}:${r.outcome}`);
}

/** A raw disk file (no partition table) of `mib` MiB of incompressible, non-zero data. */
export function randomDisk(file: string, mib: number, seed = 1): void {
  const key = Buffer.alloc(16, seed);
  const cipher = cryptoCreateCipheriv('aes-128-ctr', key, Buffer.alloc(16, 0));
  const fd = fs.openSync(file, 'w');
  try {
    const zero = Buffer.alloc(1 << 20);
    for (let i = 0; i < mib; i++) fs.writeSync(fd, cipher.update(zero));
  } finally {
    fs.closeSync(fd);
  }
}

/** Captures `disk` into the app's store with the engine and publishes it as a version of `imageId`. */
export async function seedImage(
  a: TransferApp,
  imageId: string,
  imageName: string,
  disk: string,
): Promise<Manifest> {
  const opened = await openDisk(disk);
  try {
    const { manifest } = await captureDisk({
      disk: opened,
      store: openLocalStore(a.imagesDir),
      name: imageName,
      workers: 0,
    });
    await a.t.app.services.images.publishImageVersion({
      imageId: rawId(imageId),
      sizeBytes: manifest.disk.size,
      storedBytes: manifest.totals.storedBytes,
      blockCount: manifest.blocks.length,
      manifestHash: manifestDigest(manifest),
      manifest,
    });
    return manifest;
  } finally {
    await opened.close();
  }
}

/** A transfer app with one image whose current version is `mib` MiB of random data. */
export async function startAppWithImage(
  mib = 1,
  env: Record<string, string> = {},
): Promise<{ app: TransferApp; image: { id: string; name: string } }> {
  const app = await startTransferApp(env);
  const source = path.join(app.work, 'source.img');
  randomDisk(source, mib);
  const image = await createImage(app);
  await seedImage(app, image.id, image.name, source);
  return { app, image };
}

let groupSeq = 0;
/** A new group (named `lab-<digits>`) holding these hosts; its global id. */
export async function createGroup(a: ApiTarget, hostIds: readonly string[]): Promise<string> {
  const d = await gql<{ createGroup: { group: { id: string } } }>(
    a,
    'mutation($n: String!) { createGroup(input: { name: $n }) { ... on CreateGroupSuccess { group { id } } } }',
    { n: `lab-${Date.now()}${++groupSeq}` },
  );
  const id = d.createGroup.group.id;
  if (hostIds.length > 0) {
    await gql(
      a,
      'mutation($g: ID!, $h: [ID!]!) { addHostsToGroup(input: { groupId: $g, hostIds: $h }) { __typename } }',
      {
        g: id,
        h: [...hostIds],
      },
    );
  }
  return id;
}
