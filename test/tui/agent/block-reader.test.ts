/**
 * Deploy blocks come through the block reader: kept-alive connections that read the socket into a
 * reused buffer and the body straight into the caller's slot. Raw loopback servers write responses
 * the way a network delivers them (split anywhere), close idle connections, stall, speak chunked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHead, UnsupportedResponseError } from '../../../tui/src/agent/block-reader.ts';
import { TransferClient, TransferClientError } from '../../../tui/src/agent/transfer-client.ts';
import { rawServer } from './raw-http-server.ts';

function okHead(length: number, extra = ''): string {
  return `HTTP/1.1 200 OK\r\ncontent-type: application/zstd\r\ncontent-length: ${length}\r\n${extra}\r\n`;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function clientOf(url: string, retryWindowMs = 0) {
  const client = new TransferClient({ server: url, mac: '52:54:00:aa:bb:02', retryWindowMs });
  client.token = 'token';
  cleanups.push(() => client.close());
  return client;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('block reader: responses split anywhere', () => {
  it('Given responses whose head and body arrive in arbitrary pieces, when each is fetched into a slot, then the slot holds exactly the body', async () => {
    // Given: a body per request, written in the pieces the property chose, one write per tick
    const body = randomBytes(200 * 1024);
    let cuts: number[] = [];
    const s = await rawServer(async (socket) => {
      const whole = Buffer.concat([Buffer.from(okHead(body.length), 'latin1'), body]);
      let at = 0;
      for (const cut of [...cuts, whole.length]) {
        const to = Math.min(Math.max(cut, at), whole.length);
        socket.write(whole.subarray(at, to));
        at = to;
        await sleep(1);
      }
    });
    cleanups.push(s.close);
    const client = clientOf(s.url);
    const slot = new Uint8Array(new SharedArrayBuffer(1024 * 1024));

    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: 120 + 200 * 1024 }), { maxLength: 6 }),
        async (points) => {
          cuts = points.sort((a, b) => a - b);
          slot.fill(0);

          // When
          const n = await client.getBlockInto('aa', slot);

          // Then
          expect(n).toBe(body.length);
          expect(sha(slot.subarray(0, n))).toBe(sha(body));
        },
      ),
      { numRuns: 25 },
    );
    // Every answer kept its connection open: one connection served them all.
    expect(s.connections()).toBe(1);
    expect(client.blockConnections).toBe(1);
  });
});

describe('block reader: connections', () => {
  it('Given a server that closes idle connections after 20 ms, when a block is fetched after a pause, then it comes on a new connection', async () => {
    // Given: each connection answers, then closes once it has been idle for 20 ms
    const body = randomBytes(4096);
    const s = await rawServer((socket) => {
      socket.write(Buffer.concat([Buffer.from(okHead(body.length)), body]));
      setTimeout(() => socket.end(), 20);
    });
    cleanups.push(s.close);
    const client = clientOf(s.url);
    const slot = new Uint8Array(8192);
    await client.getBlockInto('aa', slot);

    // When
    await sleep(100);
    const n = await client.getBlockInto('bb', slot);

    // Then
    expect(Buffer.from(slot.subarray(0, n)).equals(body)).toBe(true);
    expect(s.connections()).toBe(2);
    expect(client.blockConnections).toBe(2);
  });

  it('Given a response with Connection: close, when two blocks are fetched, then each gets its own connection', async () => {
    // Given
    const body = randomBytes(1000);
    const s = await rawServer((socket) => {
      socket.end(Buffer.concat([Buffer.from(okHead(body.length, 'connection: close\r\n')), body]));
    });
    cleanups.push(s.close);
    const client = clientOf(s.url);
    const slot = new Uint8Array(2048);

    // When
    await client.getBlockInto('aa', slot);
    const n = await client.getBlockInto('bb', slot);

    // Then
    expect(Buffer.from(slot.subarray(0, n)).equals(body)).toBe(true);
    expect(s.connections()).toBe(2);
  });

  it('Given a server that stalls halfway through a body, when the fetch is aborted, then it rejects at once and the next fetch works on a new connection', async () => {
    // Given
    const body = randomBytes(64 * 1024);
    let stall = true;
    const s = await rawServer((socket) => {
      const whole = Buffer.concat([Buffer.from(okHead(body.length)), body]);
      socket.write(stall ? whole.subarray(0, 1000) : whole);
    });
    cleanups.push(s.close);
    const client = clientOf(s.url);
    const slot = new Uint8Array(128 * 1024);
    const abort = new AbortController();

    // When
    const fetching = client.getBlockInto('aa', slot, abort.signal).catch((e: unknown) => e);
    await sleep(50);
    abort.abort(new Error('cancelled by the test'));
    const failure = await fetching;
    stall = false;
    const n = await client.getBlockInto('bb', slot);

    // Then
    expect((failure as Error).message).toBe('cancelled by the test');
    expect(Buffer.from(slot.subarray(0, n)).equals(body)).toBe(true);
    expect(s.connections()).toBe(2);
  });
});

describe('block reader: what it leaves to node:http', () => {
  it('Given a server that answers with a chunked body, when a block is fetched, then node:http reads it and later blocks skip the reader', async () => {
    // Given
    const body = randomBytes(3000);
    const s = await rawServer((socket) => {
      const head = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n';
      socket.write(`${head}${body.length.toString(16)}\r\n`);
      socket.write(body);
      socket.write('\r\n0\r\n\r\n');
    });
    cleanups.push(s.close);
    const client = clientOf(s.url);
    const slot = new Uint8Array(4096);

    // When
    const n = await client.getBlockInto('aa', slot);
    const again = await client.getBlockInto('bb', slot);

    // Then
    expect(n).toBe(body.length);
    expect(again).toBe(body.length);
    expect(Buffer.from(slot.subarray(0, again)).equals(body)).toBe(true);
    expect(client.blockConnections).toBe(1);
  });

  it('Given a server that answers with bytes that are not HTTP, when a block is fetched, then a typed error comes back', async () => {
    // Given
    const s = await rawServer((socket) => {
      socket.end('SSH-2.0-OpenSSH_9.2\r\n\r\n');
    });
    cleanups.push(s.close);
    const client = clientOf(s.url);

    // When
    const failure = await client.getBlockInto('aa', new Uint8Array(16)).catch((e: unknown) => e);

    // Then
    expect(failure).toBeInstanceOf(TransferClientError);
  });

  it('Given heads of every kind, when parsed, then the data plane answers are read and the others are left to node:http', () => {
    // Given / When / Then
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX-A: 1\r\nx-a: 2')).toEqual({
      status: 200,
      headers: { 'content-length': '12', 'x-a': '1, 2' },
      length: 12,
      keepAlive: true,
    });
    expect(parseHead('HTTP/1.0 404 Not Found\r\ncontent-length: 3').keepAlive).toBe(false);
    expect(parseHead('HTTP/1.1 204 No Content').length).toBe(0);
    for (const head of [
      'HTTP/2 200',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked',
      'HTTP/1.1 200 OK',
      'HTTP/1.1 200 OK\r\ncontent-length: -1',
      'HTTP/1.1 100 Continue',
      'HTTP/1.1 200 OK\r\nno colon here',
    ]) {
      expect(() => parseHead(head), head).toThrow(UnsupportedResponseError);
    }
  });
});
