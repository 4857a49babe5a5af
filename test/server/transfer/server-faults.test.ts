/**
 * The server as a child process: `kill -9` in the middle of a capture never leaves a partial
 * version, and the capture is reconciled after the restart (the client resumes, or the task
 * fails with a reason); a store that runs out of space (tmpfs in a private mount namespace)
 * fails the task with a reason, keeps the server up, removes the staging and spares older versions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeChunk,
  manifestDigest,
  openLocalStore,
  referencedHashes,
  verifyImage,
} from '../../../server/src/imaging/index.ts';
import { type ChildServer, freePort, preparePgliteDir, startChildServer } from './child-server.ts';
import {
  type ApiTarget,
  createHost,
  createImage,
  randomDisk,
  runClient,
  startCapture,
  until,
} from './transfer-harness.ts';

let work: string;
const servers: ChildServer[] = [];
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'brume-transfer-srv-'));
});
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

interface ImageView {
  node: { versions: { number: number; manifestHash: string }[] } | null;
}
interface TaskView {
  node: { state: string; failureReason: string | null } | null;
}

async function versions(a: ApiTarget, imageId: string) {
  const r = await a.gql<ImageView>(
    'query($id: ID!) { node(id: $id) { ... on Image { versions { number manifestHash } } } }',
    {
      variables: { id: imageId },
    },
  );
  return r.data?.node?.versions ?? [];
}

async function task(a: ApiTarget, id: string) {
  const r = await a.gql<TaskView>(
    'query($id: ID!) { node(id: $id) { ... on Task { state failureReason } } }',
    {
      variables: { id },
    },
  );
  return r.data?.node;
}

function countChunks(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.zst')).length;
}

async function server(
  name: string,
  tmpfsSize?: string,
): Promise<{ s: ChildServer; dataDir: string; imagesDir: string; port: number }> {
  const dataDir = path.join(work, name, 'data');
  const imagesDir = path.join(work, name, 'images');
  fs.mkdirSync(dataDir, { recursive: true });
  await preparePgliteDir(path.join(dataDir, 'pglite'));
  const port = await freePort();
  const s = await startChildServer({ dataDir, imagesDir, port, ...(tmpfsSize ? { tmpfsSize } : {}) });
  servers.push(s);
  return { s, dataDir, imagesDir, port };
}

describe('server faults', () => {
  it('Given a capture in progress, when the server is killed with SIGKILL and restarted, then no partial version is visible and the capture is reconciled', async () => {
    const { s, dataDir, imagesDir, port } = await server('kill');
    const disk = path.join(work, 'kill-source.img');
    randomDisk(disk, 96, 7);
    const host = await createHost(s);
    const image = await createImage(s);
    const capture = await startCapture(s, host.id, image.id);
    const client = runClient(['--server', s.base, '--disk', disk, '--mac', host.mac]);

    // When: some blocks are stored, the server dies
    await until(() => countChunks(path.join(imagesDir, 'chunks')) >= 3, 120_000, 'first chunks');
    await s.stop('SIGKILL');
    const restarted = await startChildServer({ dataDir, imagesDir, port }, s.operator);
    servers.push(restarted);

    // Then: nothing partial is visible right after the restart
    const early = await versions(restarted, image.id);
    expect(early).toEqual([]);
    const run = await client.done;
    const final = await task(restarted, capture.id);
    if (run.code === 0) {
      // The client resumed: exactly one version, and every chunk it references verifies.
      expect(final?.state).toBe('COMPLETE');
      const [version] = await versions(restarted, image.id);
      const manifest = await openLocalStore(imagesDir).manifests.read(image.name);
      expect(manifestDigest(manifest)).toBe(version?.manifestHash);
      const check = await verifyImage({ store: openLocalStore(imagesDir).chunks, manifest, workers: 0 });
      expect(check.problems).toEqual([]);
    } else {
      // Or the task failed with a reason and still nothing is published.
      expect(final?.state).toBe('FAILED');
      expect(final?.failureReason).toBeTruthy();
      expect(await versions(restarted, image.id)).toEqual([]);
    }
  }, 300_000);

  it('Given a store on a small tmpfs, when a capture fills it, then the task fails with a reason, the server stays up, no partial upload is left and the older version still verifies', async () => {
    const { s, imagesDir } = await server('full', '24m');
    const storeSeenByServer = `/proc/${s.process.pid}/root${imagesDir}`;
    // Given an earlier version that fits
    const small = path.join(work, 'small-source.img');
    randomDisk(small, 4, 3);
    const host = await createHost(s);
    const image = await createImage(s);
    await startCapture(s, host.id, image.id);
    const first = await runClient(['--server', s.base, '--disk', small, '--mac', host.mac]).done;
    expect(first.code).toBe(0);

    // When a capture needs more than the space left
    const big = path.join(work, 'big-source.img');
    randomDisk(big, 48, 4);
    const failing = await startCapture(s, host.id, image.id);
    const started = Date.now();
    const run = await runClient(['--server', s.base, '--disk', big, '--mac', host.mac]).done;

    // Then
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no space left/);
    const t = await task(s, failing.id);
    expect(t?.state).toBe('FAILED');
    expect(t?.failureReason).toMatch(/image store full/);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
    // Upload bodies live in memory; a staging directory is only a leftover of older servers.
    const staging = path.join(storeSeenByServer, 'staging');
    expect(fs.existsSync(staging) ? fs.readdirSync(staging) : []).toEqual([]);
    expect(await versions(s, image.id)).toHaveLength(1);
    // Read through the server's mount namespace: the engine's store refuses paths that resolve
    // elsewhere, so each chunk file is decoded and hash-checked here directly.
    const manifest = await openLocalStore(storeSeenByServer).manifests.read(image.name);
    for (const hash of referencedHashes(manifest)) {
      const file = path.join(storeSeenByServer, 'chunks', hash.slice(0, 2), hash.slice(2, 4), `${hash}.zst`);
      expect(() => decodeChunk(hash, fs.readFileSync(file))).not.toThrow();
    }
  }, 300_000);
});
