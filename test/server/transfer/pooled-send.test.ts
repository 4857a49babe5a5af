/**
 * Deploy responses are sent from a small pool of reused read buffers. A buffer may go back to the
 * pool only once its response has finished: a body still queued on a slow socket must never be
 * overwritten by the next request's chunk. Real loopback sockets, bodies larger than the kernel's
 * socket buffers, a client that reads late.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { sendPooled } from '../../../server/src/transfer/deploy-handlers.ts';
import { ReadBuffers } from '../../../server/src/transfer/limits.ts';

const BODY = 8 * 1024 * 1024;

let close: (() => void) | undefined;
afterEach(() => close?.());

/** Each request /<n> gets a body of BODY bytes, all equal to n, read into a pooled buffer. */
async function patternServer(pool: ReadBuffers) {
  const server = http.createServer((req, res) => {
    const n = Number(req.url?.slice(1));
    void sendPooled(res, pool, async (buffer) => buffer.fill(n, 0, BODY).subarray(0, BODY));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** GETs /<n>, waits `lateMs` before reading the body, returns which bytes differ from n. */
function fetchLate(port: number, n: number, lateMs: number, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: `/${n}`, agent }, (res) => {
        res.pause();
        void sleep(lateMs).then(() => {
          let wrong = 0;
          let length = 0;
          res.on('data', (chunk: Buffer) => {
            length += chunk.length;
            for (const b of chunk) if (b !== n) wrong++;
          });
          res.on('end', () => resolve(length === BODY ? wrong : -1));
          res.resume();
        });
      })
      .on('error', reject);
  });
}

describe('deploy responses from pooled read buffers', () => {
  it('Given a pool of 2 buffers and 8 overlapping slow readers, when each gets its own body, then every body arrives whole and unaltered', async () => {
    // Given
    const pool = new ReadBuffers(BODY, 2);
    const { server, port } = await patternServer(pool);
    const agent = new http.Agent({ keepAlive: false, maxSockets: 8 });
    close = () => {
      agent.destroy();
      server.close();
    };

    // When: requests arrive 20 ms apart, each body is read 300 ms after its headers
    const wrong = await Promise.all(
      Array.from({ length: 8 }, (_, i) => sleep(20 * i).then(() => fetchLate(port, i + 1, 300, agent))),
    );

    // Then
    expect(wrong).toEqual(new Array(8).fill(0));
  });
});
