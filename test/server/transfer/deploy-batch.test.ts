/**
 * `GET /v1/deploy/blocks?hashes=…` on a running server (PROTOCOL.md, Deploy): the chunks asked
 * for back to back with their lengths, exactly the bytes of one-by-one GETs; every refusal made
 * before any byte, audited where a single block's would be.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Manifest } from '../../../server/src/imaging/index.ts';
import {
  auditOutcomes,
  call,
  checkIn,
  createHost,
  createImage,
  randomDisk,
  seedImage,
  startDeploy,
  startTransferApp,
  type TransferApp,
} from './transfer-harness.ts';

let a: TransferApp;
let manifest: Manifest;
let auth: { token: string; mac: string };

beforeAll(async () => {
  a = await startTransferApp();
  const source = path.join(a.work, 'source.img');
  randomDisk(source, 20);
  const image = await createImage(a);
  manifest = await seedImage(a, image.id, image.name, source);
  const host = await createHost(a);
  await startDeploy(a, host.id, image.id);
  const checkin = await checkIn(a, host.mac);
  auth = { token: checkin.token as string, mac: host.mac };
});
afterAll(async () => {
  await a?.close();
});

/** A raw GET with the task's token: status, headers, body bytes. */
async function get(route: string) {
  const res = await fetch(`${a.base}${route}`, {
    headers: { authorization: `Bearer ${auth.token}`, 'brume-mac': auth.mac },
  });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

const many = (hashes: readonly string[]) => get(`/v1/deploy/blocks?hashes=${hashes.join(',')}`);
const hashes = () => manifest.blocks.map((b) => b.hash);

it('Given several chunks of the image, one repeated, then one response holds each as a single GET serves it, in the order asked', async () => {
  // Given
  const [h0, h1, h2] = hashes() as [string, string, string];
  const asked = [h2, h0, h1, h0];

  // When
  const res = await many(asked);

  // Then
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/vnd.brume.chunks');
  const singles = await Promise.all(asked.map((h) => get(`/v1/deploy/blocks/${h}`)));
  expect(res.headers.get('brume-chunk-lengths')).toBe(singles.map((s) => s.bytes.length).join(','));
  expect(res.bytes.equals(Buffer.concat(singles.map((s) => s.bytes)))).toBe(true);
});

it('Given 16 hashes, then they are served; 17, an empty list, a malformed one or two parameters are INVALID_REQUEST', async () => {
  const sixteen = hashes().slice(0, 16);
  expect(sixteen).toHaveLength(16);
  expect((await many(sixteen)).status).toBe(200);

  for (const route of [
    `/v1/deploy/blocks?hashes=${[...sixteen, sixteen[0]].join(',')}`,
    '/v1/deploy/blocks?hashes=',
    '/v1/deploy/blocks',
    `/v1/deploy/blocks?hashes=${sixteen[0]},nothex`,
    `/v1/deploy/blocks?hashes=${sixteen[0]}&hashes=${sixteen[1]}`,
  ]) {
    const res = await get(route);
    expect(res.status, route).toBe(400);
    expect(JSON.parse(res.bytes.toString()).code, route).toBe('INVALID_REQUEST');
  }
});

it('Given a hash the image does not reference among good ones, then nothing is served and the refusal is audited', async () => {
  const foreign = 'f'.repeat(64);
  const res = await many([hashes()[0] as string, foreign]);
  expect(res.status).toBe(403);
  expect(JSON.parse(res.bytes.toString()).code).toBe('BLOCK_NOT_IN_IMAGE');
  expect(await auditOutcomes(a, 'transfer.block')).toContain('refused:BLOCK_NOT_IN_IMAGE');
});

it('Given a chunk lost from the store, then the request is NOT_FOUND naming it, and the other chunks still serve', async () => {
  // Given
  const [first, lost] = hashes().slice(-2) as [string, string];
  const file = findChunkFile(path.join(a.imagesDir, 'chunks'), `${lost}.zst`);
  fs.renameSync(file, `${file}.aside`);
  try {
    // When
    const res = await many([first, lost]);

    // Then
    expect(res.status).toBe(404);
    const body = JSON.parse(res.bytes.toString());
    expect(body.code).toBe('NOT_FOUND');
    expect(body.message).toContain(lost);
    expect((await many([first, first])).status).toBe(200);
  } finally {
    fs.renameSync(`${file}.aside`, file);
  }
  expect((await many([first, lost])).status).toBe(200);
});

it('Given a client that goes away after the first bytes of 16 chunks, then the server carries on and serves the same chunks whole', async () => {
  // Given
  const sixteen = hashes().slice(0, 16);
  const url = new URL(a.base);
  const socket = net.connect(Number(url.port), url.hostname);
  const firstBytes = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write(
    `GET /v1/deploy/blocks?hashes=${sixteen.join(',')} HTTP/1.1\r\nhost: ${url.host}\r\n` +
      `authorization: Bearer ${auth.token}\r\nbrume-mac: ${auth.mac}\r\n\r\n`,
  );

  // When
  await firstBytes;
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 200));

  // Then
  const res = await many(sixteen);
  expect(res.status).toBe(200);
  const singles = await Promise.all(sixteen.map((h) => get(`/v1/deploy/blocks/${h}`)));
  expect(res.bytes.equals(Buffer.concat(singles.map((s) => s.bytes)))).toBe(true);
});

it('Given no token, then the route refuses as every block route does', async () => {
  const res = await call(a, 'GET', `/v1/deploy/blocks?hashes=${hashes()[0]}`);
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('TOKEN_MISSING');
});

function findChunkFile(dir: string, name: string): string {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile() && entry.name === name) return path.join(entry.parentPath, entry.name);
  throw new Error(`${name} not under ${dir}`);
}
