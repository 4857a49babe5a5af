/**
 * Deploy reads each chunk straight into the engine's reused shared slot (no buffer per block, no
 * copy to the codec worker): the client's getBlockInto over a real loopback HTTP server.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TransferClient, TransferClientError } from '../../../tui/src/agent/transfer-client.ts';

/** Serves `blocks[hash]` at /v1/deploy/blocks/<hash>, a JSON 404 for any other hash. */
async function blockServer(blocks: Record<string, Buffer>) {
  const server = http.createServer((req, res) => {
    const hash = req.url?.split('/').at(-1) ?? '';
    const body = blocks[hash];
    if (!body) {
      const text = JSON.stringify({ code: 'BLOCK_NOT_IN_IMAGE', message: 'not in the image' });
      res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/zstd', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

let close: (() => void) | undefined;
afterEach(() => close?.());

async function setup(blocks: Record<string, Buffer>) {
  const s = await blockServer(blocks);
  let counted = 0;
  const client = new TransferClient({
    server: s.url,
    mac: '52:54:00:aa:bb:01',
    retryWindowMs: 0,
    onBlockBytes: (n) => {
      counted += n;
    },
  });
  client.token = 'token';
  close = () => {
    client.close();
    s.server.close();
  };
  return { client, counted: () => counted };
}

describe('transfer client: block bodies read into a caller buffer', () => {
  it('Given a 300 KiB block (several socket reads), when it is fetched into a larger shared slot, then the slot holds its bytes and the length is returned', async () => {
    // Given
    const block = randomBytes(300 * 1024);
    const { client, counted } = await setup({ aa: block });
    const slot = new Uint8Array(new SharedArrayBuffer(1024 * 1024));

    // When
    const n = await client.getBlockInto('aa', slot);

    // Then
    expect(n).toBe(block.length);
    expect(Buffer.from(slot.subarray(0, n)).equals(block)).toBe(true);
    expect(counted()).toBe(block.length);
  });

  it('Given a block larger than the slot, when it is fetched into it, then -1 says it did not fit and the slot is untouched', async () => {
    // Given
    const { client } = await setup({ bb: randomBytes(64 * 1024) });
    const slot = new Uint8Array(new SharedArrayBuffer(1024)).fill(7);

    // When
    const n = await client.getBlockInto('bb', slot);

    // Then
    expect(n).toBe(-1);
    expect(slot.every((b) => b === 7)).toBe(true);
  });

  it('Given a hash the server refuses, when it is fetched into a slot, then the typed error comes back and the slot is untouched', async () => {
    // Given
    const { client } = await setup({});
    const slot = new Uint8Array(new SharedArrayBuffer(4096)).fill(9);

    // When
    const failure = await client.getBlockInto('cc', slot).catch((e: unknown) => e);

    // Then
    expect(failure).toBeInstanceOf(TransferClientError);
    expect((failure as TransferClientError).code).toBe('BLOCK_NOT_IN_IMAGE');
    expect(slot.every((b) => b === 9)).toBe(true);
  });
});

/**
 * A server for the multi-chunk GET: with `batches`, `?hashes=` answers the chunks back to back
 * with their lengths (`lengths` overrides the header); without, it answers as a server before
 * that route did (400: the path read as a malformed hash). Counts the requests it gets.
 */
async function batchServer(blocks: Record<string, Buffer>, batches: boolean, lengths?: string) {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    const asked = url.searchParams.get('hashes')?.split(',') ?? [];
    const bodies = asked.map((h) => blocks[h] as Buffer);
    if (!batches || asked.length === 0) {
      const text = JSON.stringify({ code: 'INVALID_REQUEST', message: 'not a chunk hash' });
      res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const body = Buffer.concat(bodies);
    res.writeHead(200, {
      'content-length': body.length,
      'brume-chunk-lengths': lengths ?? bodies.map((b) => b.length).join(','),
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new TransferClient({
    server: `http://127.0.0.1:${port}`,
    mac: '52:54:00:aa:bb:02',
    retryWindowMs: 0,
  });
  client.token = 'token';
  close = () => {
    client.close();
    server.close();
  };
  return { client, requests: () => requests };
}

describe('transfer client: several chunks in one request', () => {
  const blocks = { aa: randomBytes(200 * 1024), bb: randomBytes(70 * 1024), cc: randomBytes(1000) };

  it('Given chunks served back to back, then they land in the slot in order and their lengths come back', async () => {
    // Given
    const { client } = await batchServer(blocks, true);
    const slot = new Uint8Array(new SharedArrayBuffer(1024 * 1024));

    // When
    const lengths = await client.getBlocksInto(['bb', 'aa', 'cc'], slot);

    // Then
    expect(lengths).toEqual([blocks.bb.length, blocks.aa.length, blocks.cc.length]);
    const all = Buffer.concat([blocks.bb, blocks.aa, blocks.cc]);
    expect(Buffer.from(slot.subarray(0, all.length)).equals(all)).toBe(true);
  });

  it('Given a server without the route, then the first call answers null and later ones ask nothing', async () => {
    // Given
    const { client, requests } = await batchServer(blocks, false);
    const slot = new Uint8Array(new SharedArrayBuffer(1024 * 1024));

    // When
    const first = await client.getBlocksInto(['aa', 'bb'], slot);
    const second = await client.getBlocksInto(['aa', 'cc'], slot);

    // Then
    expect(first).toBeNull();
    expect(second).toBeNull();
    expect(requests()).toBe(1);
  });

  it('Given lengths that do not add up to the body, then the response is refused as invalid', async () => {
    // Given
    const { client } = await batchServer(blocks, true, '10,20');
    const slot = new Uint8Array(new SharedArrayBuffer(1024 * 1024));

    // When
    const failure = await client.getBlocksInto(['aa', 'bb'], slot).catch((e: unknown) => e);

    // Then
    expect(failure).toBeInstanceOf(TransferClientError);
    expect((failure as TransferClientError).code).toBe('INVALID_RESPONSE');
  });
});
