/**
 * Capture refusals on the wire: a block that does not hash to its name is not stored, a commit
 * naming absent chunks publishes nothing, protected images refuse, one writer per image.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compress } from 'zstd-napi';
import { serializeManifest } from '../../../server/src/imaging/index.ts';
import {
  call,
  checkIn,
  createHost,
  createImage,
  rawId,
  setProtected,
  startCapture,
  startTransferApp,
  type TransferApp,
  taskState,
} from './transfer-harness.ts';

let a: TransferApp;
beforeAll(async () => {
  a = await startTransferApp();
});
afterAll(() => a?.close());

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function capturing() {
  const host = await createHost(a);
  const image = await createImage(a);
  const task = await startCapture(a, host.id, image.id);
  const { token } = await checkIn(a, host.mac);
  const auth = { token, mac: host.mac };
  await call(a, 'POST', '/v1/task/start', { ...auth, json: { blocksTotal: 1, bytesTotal: 65536 } });
  return { host, image, task, auth };
}

it('Given a capture, when a block is uploaded under another hash, then it is refused and nothing is stored; under its own hash it is stored once', async () => {
  const { auth } = await capturing();
  const data = new Uint8Array(65536).fill(7);
  const body = new Uint8Array(compress(data));
  const wrong = sha(new Uint8Array(65536).fill(8));
  const refused = await call(a, 'PUT', `/v1/capture/blocks/${wrong}`, {
    ...auth,
    body,
    headers: { 'brume-block': '0' },
  });
  expect(refused.status).toBe(422);
  expect(refused.body.code).toBe('HASH_MISMATCH');
  const missing = await call(a, 'POST', '/v1/capture/missing', {
    ...auth,
    json: { hashes: [wrong, sha(data)] },
  });
  expect(missing.body.missing).toEqual([wrong, sha(data)]);
  const stored = await call(a, 'PUT', `/v1/capture/blocks/${sha(data)}`, {
    ...auth,
    body,
    headers: { 'brume-block': '0' },
  });
  expect(stored.status).toBe(201);
  const again = await call(a, 'PUT', `/v1/capture/blocks/${sha(data)}`, {
    ...auth,
    body,
    headers: { 'brume-block': '0' },
  });
  expect(again.body.added).toBe(false);
  expect(
    (await call(a, 'POST', '/v1/capture/missing', { ...auth, json: { hashes: [sha(data)] } })).body.missing,
  ).toEqual([]);
});

it('Given a commit whose manifest names a chunk the store lacks, then MISSING_BLOCKS lists it and no version appears', async () => {
  const { image, auth } = await capturing();
  const data = new Uint8Array(65536).fill(9);
  const absent = sha(new Uint8Array(65536).fill(10));
  await call(a, 'PUT', `/v1/capture/blocks/${sha(data)}`, { ...auth, body: new Uint8Array(compress(data)) });
  const manifest = {
    format: 'brume-image',
    formatVersion: 1,
    name: image.name,
    createdAt: new Date().toISOString(),
    blockSize: 65536,
    compression: { algorithm: 'zstd', level: 3 },
    disk: { size: 1 << 20, sectorSize: 512, table: 'none' },
    preserved: [],
    partitions: [
      {
        number: 0,
        start: 0,
        size: 1 << 20,
        typeId: 'none',
        fs: 'unknown',
        clusterSize: 1 << 20,
        usedBytes: 131072,
        blocks: 2,
      },
    ],
    blocks: [
      { offset: 0, length: 65536, hash: sha(data), storedSize: 100, partition: 0 },
      { offset: 65536, length: 65536, hash: absent, storedSize: 100, partition: 0 },
    ],
    totals: { blocks: 2, blockBytes: 131072, usedBytes: 131072, storedBytes: 200, preservedBytes: 0 },
  };
  const body = new TextEncoder().encode(serializeManifest(manifest as never));
  const r = await call(a, 'POST', '/v1/capture/commit', {
    ...auth,
    body,
    headers: { 'content-type': 'application/json' },
  });
  expect(r.status).toBe(409);
  expect(r.body).toMatchObject({ code: 'MISSING_BLOCKS', missing: [absent] });
  expect(await a.t.app.services.images.listVersions(rawId(image.id))).toEqual([]);
  const bad = await call(a, 'POST', '/v1/capture/commit', {
    ...auth,
    json: { ...manifest, name: 'another' },
  });
  expect(bad.body.code).toBe('INVALID_MANIFEST');
});

it('Given a capture task, when its image becomes protected, then the capture is refused and the task fails with the reason', async () => {
  const { image, task, auth } = await capturing();
  await setProtected(a, image.id, true);
  const r = await call(a, 'POST', '/v1/capture/missing', { ...auth, json: { hashes: [] } });
  expect(r.body.code).toBe('IMAGE_PROTECTED');
  expect(await taskState(a, task.rawId)).toMatchObject({
    state: 'FAILED',
    failureReason: expect.stringMatching(/protected/),
  });
});

it('Given a capture that already asked for missing blocks, when its image becomes protected, then its commit is refused all the same', async () => {
  const { image, task, auth } = await capturing();
  const asked = await call(a, 'POST', '/v1/capture/missing', { ...auth, json: { hashes: [] } });
  expect(asked.status).toBe(200);
  await setProtected(a, image.id, true);
  const r = await call(a, 'POST', '/v1/capture/commit', { ...auth, json: { hashes: [] } });
  expect(r.body.code).toBe('IMAGE_PROTECTED');
  expect(await taskState(a, task.rawId)).toMatchObject({ state: 'FAILED' });
});

it('Given an active capture of an image, when a second capture of it is asked, then exactly one writer: a typed error', async () => {
  const { image } = await capturing();
  const other = await createHost(a);
  await expect(startCapture(a, other.id, image.id)).rejects.toThrow(/ImageCaptureInProgressError/);
});
