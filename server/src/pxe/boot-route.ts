import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { BootScriptHandler } from './boot-script-handler.ts';

/**
 * /boot.ipxe as routes for the core's node:http router (`HttpRoute` in app/http-routes.ts, matched
 * structurally so this folder does not import the app). The fetch handler stays the one place
 * with logic; this only converts the request and response.
 */

export interface BootRoute {
  readonly method: 'GET' | 'POST';
  readonly path: '/boot.ipxe';
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

/** iPXE sends `Host: 10.0.0.1:8080`: the origin the scripts must point back to. */
const HOST_HEADER = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

function toRequest(req: IncomingMessage, url: URL): Request {
  const host = req.headers.host;
  const origin = host !== undefined && HOST_HEADER.test(host) ? `http://${host}` : url.origin;
  const target = new URL(`${url.pathname}${url.search}`, origin);
  const headers = new Headers();
  for (const name of ['content-type', 'content-length']) {
    const value = req.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  if (req.method !== 'POST') return new Request(target, { method: req.method ?? 'GET', headers });
  // Node's fetch needs `duplex: 'half'` for a streamed body; the type lags behind.
  const init = {
    method: 'POST',
    headers,
    body: Readable.toWeb(req) as ReadableStream,
    duplex: 'half' as const,
  };
  return new Request(target, init);
}

export function bootScriptRoutes(handler: BootScriptHandler): BootRoute[] {
  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const response = await handler(toRequest(req, url), { remoteAddress: req.socket.remoteAddress ?? null });
    const body = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, {
      ...Object.fromEntries(response.headers),
      'content-length': String(body.length),
    });
    res.end(body);
  };
  return [
    { method: 'GET', path: '/boot.ipxe', handle },
    { method: 'POST', path: '/boot.ipxe', handle },
  ];
}
