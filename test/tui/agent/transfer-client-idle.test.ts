/**
 * Block requests give up an attempt after a spell with no byte from the server (a pulled cable, a
 * dead router: no reset ever comes) and retry within the client's window; a server that is slow
 * but keeps sending is waited for.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteChunkSink } from '../../../tui/src/agent/remote-chunk-sink.ts';
import { TransferClient, TransferClientError } from '../../../tui/src/agent/transfer-client.ts';
import { rawServer } from './raw-http-server.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function clientOf(url: string, blockIdleMs: number) {
  const client = new TransferClient({ server: url, mac: '52:54:00:aa:bb:03', retryWindowMs: 0, blockIdleMs });
  client.token = 'token';
  cleanups.push(() => client.close());
  return client;
}

async function failureOf(p: Promise<unknown>) {
  const started = performance.now();
  const failure = await p.then(
    () => null,
    (e: unknown) => e,
  );
  return { failure, ms: performance.now() - started };
}

describe('block requests on a silent server', () => {
  const silent: [string, (client: TransferClient) => Promise<unknown>][] = [
    ['a block is fetched', (client) => client.getBlockInto('aa', new Uint8Array(64))],
    [
      'a block is uploaded',
      (client) => client.blockJson('/v1/capture/blocks/aa', { method: 'PUT', body: new Uint8Array(1000) }),
    ],
    [
      'a capture asks whether the server holds a chunk',
      (client) => new RemoteChunkSink(client).keep('ab'.repeat(32)),
    ],
  ];

  it.each(silent)(
    'Given a server that takes the request and never answers, when %s, then the attempt is dropped after the idle limit with a typed error',
    async (_what, request) => {
      // Given
      const s = await rawServer(() => undefined);
      cleanups.push(s.close);
      const client = clientOf(s.url, 150);

      // When
      const { failure, ms } = await failureOf(request(client));

      // Then
      expect(failure).toBeInstanceOf(TransferClientError);
      expect((failure as TransferClientError).message).toContain('no data from the server for 150 ms');
      expect(ms).toBeLessThan(5000);
    },
    10_000,
  );

  it('Given a server that sends a block slowly but never pauses past the limit, when it is fetched, then it arrives whole', async () => {
    // Given: 8 pieces 60 ms apart (480 ms in all) against a 200 ms idle limit
    const body = Buffer.alloc(8 * 100, 7);
    const s = await rawServer(async (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      for (let i = 0; i < 8; i++) {
        await sleep(60);
        socket.write(body.subarray(i * 100, (i + 1) * 100));
      }
    });
    cleanups.push(s.close);
    const client = clientOf(s.url, 200);
    const slot = new Uint8Array(1024);

    // When
    const n = await client.getBlockInto('aa', slot);

    // Then
    expect(n).toBe(body.length);
    expect(Buffer.from(slot.subarray(0, n)).equals(body)).toBe(true);
    expect(s.requests()).toBe(1);
  });
});
