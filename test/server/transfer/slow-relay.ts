/**
 * A TCP relay in front of the test server that sends the server's bytes on to the client at a set
 * rate: a deploy through it takes seconds whatever the client's speed, so a test that acts "mid-
 * deploy" (kill, cancel) acts while blocks are still coming, not after the client has finished.
 */
import net from 'node:net';

export interface SlowRelay {
  /** `http://127.0.0.1:<port>`: give it to the client instead of the server's address. */
  readonly base: string;
  close(): Promise<void>;
}

export async function startSlowRelay(target: string, bytesPerSecond: number): Promise<SlowRelay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  // One rate for all connections together (the client keeps many open): each piece books the
  // next free slot of time and is sent when its slot ends.
  let nextFree = 0;
  const slot = (bytes: number) => {
    const start = Math.max(performance.now(), nextFree);
    nextFree = start + (bytes / bytesPerSecond) * 1000;
    return new Promise((resolve) => setTimeout(resolve, nextFree - performance.now()));
  };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: hostname, port: Number(port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    // Requests go up at full speed; answers come down 16 KiB at a time, at the shared rate.
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      upstream.pause();
      void (async () => {
        for (let at = 0; at < chunk.length && !client.destroyed; at += 16 * 1024) {
          const piece = chunk.subarray(at, at + 16 * 1024);
          await slot(piece.length);
          client.write(piece);
        }
        upstream.resume();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    base: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
