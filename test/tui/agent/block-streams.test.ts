/**
 * The capture's uploads as block streams, against a running server: blocks go as frames of a few
 * long requests, a corrupt one fails as such, and whatever a stream leaves unanswered (a cut
 * connection, a server without the route) is uploaded again with its own PUT.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress } from 'zstd-napi';
import { BlockStreams } from '../../../tui/src/agent/block-streams.ts';
import { RemoteChunkSink } from '../../../tui/src/agent/remote-chunk-sink.ts';
import { TransferClient, TransferClientError } from '../../../tui/src/agent/transfer-client.ts';
import {
  call,
  checkIn,
  createHost,
  createImage,
  startCapture,
  startTransferApp,
  type TransferApp,
} from '../../server/transfer/transfer-harness.ts';

let a: TransferApp;
beforeAll(async () => {
  a = await startTransferApp();
});
afterAll(() => a?.close());

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Distinct 64 KiB blocks of noise (they stay 64 KiB compressed), named by their content. */
function chunks(count: number, seed: number) {
  return Array.from({ length: count }, (_, i) => {
    const data = new Uint8Array(65536);
    for (let at = 0; at < data.length; at += 32) {
      data.set(createHash('sha256').update(`${seed}/${i}/${at}`).digest(), at);
    }
    return { hash: sha(data), compressed: new Uint8Array(compress(data)), size: data.length };
  });
}

async function capturingClient(base = a.base) {
  const host = await createHost(a);
  const image = await createImage(a);
  await startCapture(a, host.id, image.id);
  const { token } = await checkIn(a, host.mac);
  const client = new TransferClient({ server: base, mac: host.mac, retryWindowMs: 5000 });
  client.token = token;
  await call(a, 'POST', '/v1/task/start', {
    token,
    mac: host.mac,
    json: { blocksTotal: 64, bytesTotal: 64 * 65536 },
  });
  return client;
}

async function missing(client: TransferClient, hashes: string[]) {
  return (await client.json<{ missing: string[] }>('/v1/capture/missing', { json: { hashes } })).missing;
}

/**
 * A TCP relay in front of the server that counts the requests it carries by their first line and
 * can tamper with block streams: `cut` closes a stream's connection after that many bytes of its
 * request, `rename` changes the stream's path (a server that has no such route).
 */
async function relay(mode: { cut?: number; rename?: boolean }) {
  const { port } = new URL(a.base);
  const lines: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect({ host: '127.0.0.1', port: Number(port) });
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
    up.pipe(down);
    let streamBytes = -1;
    down.on('data', (data: Buffer) => {
      const text = data.toString('latin1');
      for (const m of text.matchAll(/(?:^|\r\n)((?:GET|POST|PUT) \/v1\/[^ ]+) HTTP\/1\.1\r\n/g)) {
        lines.push(m[1] as string);
        if (m[1] === 'POST /v1/capture/stream') streamBytes = 0;
      }
      let out = data;
      if (mode.rename)
        out = Buffer.from(text.replace('POST /v1/capture/stream ', 'POST /v1/capture/strean '), 'latin1');
      if (streamBytes >= 0 && mode.cut !== undefined) {
        streamBytes += data.length;
        if (streamBytes > mode.cut) {
          down.destroy();
          up.destroy();
          return;
        }
      }
      up.write(out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    lines,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('block streams', () => {
  it('Given a capture, when blocks are sent on streams, then each is answered stored, a repeat as already there, and one request carries them all', async () => {
    const r = await relay({});
    try {
      // Given
      const client = await capturingClient(r.base);
      const streams = new BlockStreams(client);
      const blocks = chunks(40, 1);

      // When
      const results = await Promise.all(blocks.map((c, i) => streams.send(c, i)));
      const again = await streams.send(blocks[0]!, 0);
      streams.close();

      // Then
      expect(results.map((x) => x.added)).toEqual(blocks.map(() => true));
      expect(results.map((x) => x.hash)).toEqual(blocks.map((c) => c.hash));
      expect(again.added).toBe(false);
      expect(
        await missing(
          client,
          blocks.map((c) => c.hash),
        ),
      ).toEqual([]);
      expect(r.lines.filter((l) => l.startsWith('PUT'))).toEqual([]);
      expect(r.lines.filter((l) => l === 'POST /v1/capture/stream').length).toBe(1);
      client.close();
    } finally {
      await r.close();
    }
  });

  it('Given a block that does not hash to its name, when it is streamed, then it fails with HASH_MISMATCH and the others are stored', async () => {
    const client = await capturingClient();
    const streams = new BlockStreams(client);
    const [good, other] = chunks(2, 2) as [ReturnType<typeof chunks>[0], ReturnType<typeof chunks>[0]];
    const forged = { ...good, hash: other.hash };

    const outcomes = await Promise.allSettled([streams.send(forged, 0), streams.send(good, 1)]);
    streams.close();

    expect(outcomes[0].status).toBe('rejected');
    const error = (outcomes[0] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(TransferClientError);
    expect((error as TransferClientError).code).toBe('HASH_MISMATCH');
    expect(outcomes[1]).toMatchObject({ status: 'fulfilled', value: { added: true } });
    expect(await missing(client, [good.hash, other.hash])).toEqual([other.hash]);
    client.close();
  });

  it('Given connections that are cut while a stream is sent, when a capture uploads, then every block is stored by PUT instead, and after three lost streams none is tried again', async () => {
    const r = await relay({ cut: 100_000 });
    try {
      const client = await capturingClient(r.base);
      const sink = new RemoteChunkSink(client);
      const blocks = chunks(24, 3);

      // In waves, so that each wave opens a stream of its own while streams are still tried.
      const results = [];
      for (let wave = 0; wave < 4; wave++) {
        const part = blocks.slice(wave * 6, wave * 6 + 6);
        results.push(...(await Promise.all(part.map((c, i) => sink.put(c, wave * 6 + i)))));
      }
      sink.close();

      expect(results.map((x) => x.hash)).toEqual(blocks.map((c) => c.hash));
      const direct = new TransferClient({ server: a.base, mac: client.mac });
      direct.token = client.token;
      expect(
        await missing(
          direct,
          blocks.map((c) => c.hash),
        ),
      ).toEqual([]);
      expect(r.lines.filter((l) => l === 'POST /v1/capture/stream').length).toBe(3);
      // The fourth wave went by PUT alone.
      expect(r.lines.filter((l) => l.startsWith('PUT /v1/capture/blocks/')).length).toBeGreaterThanOrEqual(6);
      expect(sink.bytesUploaded).toBeGreaterThanOrEqual(blocks.reduce((s, c) => s + c.compressed.length, 0));
      direct.close();
      client.close();
    } finally {
      await r.close();
    }
  });

  it('Given a server without block streams (404), when a capture uploads, then it asks once and uploads every block by PUT', async () => {
    const r = await relay({ rename: true });
    try {
      const client = await capturingClient(r.base);
      const sink = new RemoteChunkSink(client);
      const blocks = chunks(12, 4);

      const first = await sink.put(blocks[0]!, 0);
      const rest = await Promise.all(blocks.slice(1).map((c, i) => sink.put(c, i + 1)));
      sink.close();

      expect([first, ...rest].every((x) => x.added)).toBe(true);
      expect(r.lines.filter((l) => l === 'POST /v1/capture/stream').length).toBe(1);
      expect(r.lines.filter((l) => l.startsWith('PUT /v1/capture/blocks/')).length).toBe(12);
      client.close();
    } finally {
      await r.close();
    }
  });
});
