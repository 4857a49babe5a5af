/**
 * A webhook receiver on 127.0.0.1 for tests: records every request (path, headers, body) and
 * answers with `answers` in turn per path (200 once they run out; a 302 points nowhere).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export function webhookReceiver() {
  const received: ReceivedRequest[] = [];
  const answers = new Map<string, number[]>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      const status = answers.get(req.url ?? '')?.shift() ?? 200;
      res.writeHead(status, status === 302 ? { location: 'http://127.0.0.1:1/elsewhere' } : {});
      res.end(status === 200 ? 'ok' : `nope ${status}`);
    });
  });
  return {
    received,
    answers,
    /** Listens on a free loopback port; returns the receiver's base URL. */
    async start(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
    at: (path: string) => received.filter((r) => r.path === path),
    /** The JSON documents received, in order. */
    documents: () => received.map((r) => JSON.parse(r.body) as Record<string, unknown>),
  };
}
