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
