/**
 * Shared set-up of the multicast end-to-end tests (root only): the namespaces of harness.ts, the
 * API in this process with its multicast sender in the sender namespace, a relay so clients in the
 * receiver namespaces reach the API, the small fixture seeded as an image, and helpers to run
 * `brume client --once` in a receiver namespace and to follow multicastProgress.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Manifest } from '../../server/src/imaging/index.ts';
import {
  blankFile,
  createHost,
  createImage,
  FIXTURE_DISK,
  hasFixture,
  seedImage,
  startTransferApp,
  type TransferApp,
} from '../server/transfer/transfer-harness.ts';
import { Proc, REPO, SENDER_ADDR, Topology } from './harness.ts';

const RELAY_PORT = 8080;
export const E2E_SERVER = `http://${SENDER_ADDR}:${RELAY_PORT}`;

export const e2eSkipReason =
  process.getuid?.() !== 0
    ? 'multicast e2e needs root (network namespaces)'
    : !hasFixture
      ? 'multicast e2e needs the small fixture (build-disk.sh --profile small)'
      : null;

export interface E2e {
  readonly topo: Topology;
  readonly a: TransferApp;
  readonly manifest: Manifest;
  readonly image: { id: string; name: string };
  /** The relay's pid: every other process of the sender namespace is a multicast sender. */
  readonly relayPid: number;
  close(): Promise<void>;
}

async function startRelay(topo: Topology, unixPath: string): Promise<Proc> {
  const entry = path.join(REPO, 'test/multicast/multicast-e2e-relay.ts');
  const args = ['netns', 'exec', topo.ns('s'), process.execPath, '--import', 'tsx', entry];
  const child = spawn('ip', [...args, SENDER_ADDR, String(RELAY_PORT), unixPath], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const relay = new Proc(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`relay exited ${code}: ${relay.stderr}`)));
  });
  return relay;
}

/** A path socket crosses network namespaces: the relay in the sender namespace connects here. */
async function unixToApi(a: TransferApp, unixPath: string): Promise<net.Server> {
  const port = Number(new URL(a.base).port);
  const server = net.createServer((c) => {
    const api = net.connect(port, '127.0.0.1');
    c.pipe(api);
    api.pipe(c);
    c.on('error', () => api.destroy());
    api.on('error', () => c.destroy());
  });
  await new Promise<void>((resolve) => server.listen(unixPath, resolve));
  return server;
}

export async function setupE2e(receivers: number, env: Record<string, string> = {}): Promise<E2e> {
  const topo = new Topology();
  topo.up(receivers);
  const a = await startTransferApp({
    BRUME_MULTICAST_INTERFACE_ADDRESS: SENDER_ADDR,
    BRUME_MULTICAST_SENDER_NETNS: topo.ns('s'),
    ...env,
  });
  const unixPath = path.join(a.work, 'api.sock');
  const unixServer = await unixToApi(a, unixPath);
  const relay = await startRelay(topo, unixPath);
  const image = await createImage(a);
  const manifest = await seedImage(a, image.id, image.name, FIXTURE_DISK);
  return {
    topo,
    a,
    manifest,
    image,
    relayPid: relay.child.pid ?? -1,
    async close() {
      relay.child.kill('SIGKILL');
      unixServer.close();
      topo.down();
      await a.close();
    },
  };
}

/** The multicast senders running in the sender namespace (pids). */
export function senderPids(e: E2e): number[] {
  const out = execFileSync('ip', ['netns', 'pids', e.topo.ns('s')]).toString();
  return out
    .split('\n')
    .map(Number)
    .filter((pid) => pid > 0 && pid !== e.relayPid);
}

/** `extraBytes[i]` makes target i that much larger than the source disk (0 when absent). */
export async function makeTargets(e: E2e, n: number, extraBytes: readonly number[] = []) {
  const hosts = [];
  for (let i = 0; i < n; i++) {
    const host = await createHost(e.a);
    const disk = path.join(e.a.work, `target-${host.id.slice(-8)}.img`);
    blankFile(disk, e.manifest.disk.size + (extraBytes[i] ?? 0));
    hosts.push({ ...host, disk, stateDir: path.join(e.a.work, `state-${host.id.slice(-8)}`) });
  }
  return hosts;
}

export interface ClientRun {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; stderr: string }>;
}

/** `brume client --once` in receiver namespace `rN`. */
export function runClientIn(
  e: E2e,
  receiver: number,
  host: { mac: string; disk: string; stateDir: string },
): ClientRun {
  const brume = path.join(REPO, 'tui/bin/brume.js');
  const args = ['--server', E2E_SERVER, '--disk', host.disk, '--mac', host.mac, '--state-dir', host.stateDir];
  const child = spawn(
    'ip',
    ['netns', 'exec', e.topo.ns(`r${receiver}`), process.execPath, brume, 'client', '--once', ...args],
    { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return { child, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr }))) };
}

export async function startMulticast(e: E2e, hostIds: string[], extra: Record<string, unknown> = {}) {
  const res = await e.a.gql<{
    startMulticast: {
      __typename: string;
      session?: { id: string };
      tasks?: { id: string }[];
      message?: string;
    };
  }>(
    `mutation($i: StartMulticastInput!) { startMulticast(input: $i) { __typename
      ... on StartMulticastSuccess { session { id } tasks { id } } ... on Error { message } } }`,
    {
      token: e.a.operator,
      variables: {
        i: { hostIds, imageId: e.image.id, minReceivers: hostIds.length, maxWaitSeconds: 120, ...extra },
      },
    },
  );
  const out = res.data?.startMulticast;
  if (!out?.session || !out.tasks)
    throw new Error(`${out?.__typename}: ${out?.message ?? JSON.stringify(res)}`);
  return { sessionId: out.session.id, taskIds: out.tasks.map((t) => t.id) };
}

export interface ProgressRow {
  state: string;
  blocksDone: number;
  blocksTotal: number;
  failureReason: string | null;
  host: { id: string } | null;
}
export interface ProgressEvent {
  state: string;
  rateBytesPerSecond: number;
  receivers: ProgressRow[];
}

/** Follows multicastProgress over graphql-ws, collecting every event. */
export function watchSession(e: E2e, sessionId: string) {
  const client = createClient({
    url: e.a.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${e.a.operator}` },
    retryAttempts: 0,
  });
  const events: ProgressEvent[] = [];
  let failure: unknown = null;
  const stop = client.subscribe<{ multicastProgress: ProgressEvent }>(
    {
      query: `subscription($id: ID!) { multicastProgress(sessionId: $id) {
        state rateBytesPerSecond receivers { state blocksDone blocksTotal failureReason host { id } } } }`,
      variables: { id: sessionId },
    },
    {
      next: (m) => {
        if (m.errors) failure = m.errors;
        if (m.data) events.push(m.data.multicastProgress);
      },
      error: (err) => {
        failure = err;
      },
      complete: () => {},
    },
  );
  return {
    events,
    failure: () => failure,
    async close() {
      stop();
      await client.dispose();
    },
  };
}
