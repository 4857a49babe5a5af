/**
 * A raw HTTP/1.1 server for client tests: it finds each request's head and lets the test write
 * whatever answer it wants (split anywhere, slowly, chunked, nothing at all) on the socket.
 * Request bodies are not parsed: tests that upload send bytes without a blank line in them.
 */
import net from 'node:net';

export type Respond = (socket: net.Socket, path: string) => void | Promise<void>;

export async function rawServer(respond: Respond) {
  let connections = 0;
  let requests = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = '';
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        requests++;
        void respond(socket, head.split(' ')[1] ?? '');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    requests: () => requests,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
