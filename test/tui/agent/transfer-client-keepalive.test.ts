/**
 * The keep-alive race: a server closes an idle kept-alive connection just as the client writes its
 * next request on it. That request never reached the server, so the client sends it again on a new
 * connection, even a request that otherwise never retries (Quick Registration's POST).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TransferClient } from '../../../tui/src/agent/transfer-client.ts';

const OK =
  'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nconnection: keep-alive\r\n\r\n{"ok":true}';

/** Connection 1 answers its first request, then resets on the next; later connections answer. */
async function resettingServer() {
  const requestsSeen: number[] = [];
  let connections = 0;
  const server = net.createServer((socket) => {
    const connection = ++connections;
    let requests = 0;
    socket.on('data', () => {
      requests += 1;
      if (connection === 1 && requests > 1) {
        socket.resetAndDestroy();
        return;
      }
      requestsSeen.push(connection);
      socket.write(OK);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, requestsSeen, connections: () => connections };
}

let close: (() => void) | undefined;
afterEach(() => close?.());

describe('transfer client on a kept-alive connection the server resets', () => {
  it('Given a reused socket that the server resets, when a no-retry POST goes out on it, then it is sent again once on a new connection and succeeds', async () => {
    // Given
    const s = await resettingServer();
    const client = new TransferClient({ server: s.url, mac: '52:54:00:aa:bb:cc', retryWindowMs: 0 });
    close = () => {
      client.close();
      s.server.close();
    };
    await client.json('/v1/first');

    // When
    const body = await client.json<{ ok: boolean }>('/v1/register', { json: { quick: true }, noRetry: true });

    // Then
    expect(body).toEqual({ ok: true });
    expect(s.connections()).toBe(2);
    expect(s.requestsSeen).toEqual([1, 2]);
  });
});
