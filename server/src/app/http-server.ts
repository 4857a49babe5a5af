import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { findRoute, type HttpRoute } from './http-routes.ts';
import type { Metrics } from './metrics.ts';
import type { BrumeYoga } from './yoga.ts';

export type Readiness = 'starting' | 'ready' | 'stopping';

export interface HttpServerDeps {
  readonly yoga: BrumeYoga;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly routes: readonly HttpRoute[];
  readonly readiness: () => Readiness;
  readonly ping: () => Promise<void>;
}

const routeLabel = (pathname: string): string =>
  pathname === '/graphql' || pathname === '/healthz' || pathname === '/metrics' ? pathname : 'other';

async function healthz(deps: HttpServerDeps, res: ServerResponse): Promise<void> {
  let status = deps.readiness();
  if (status === 'ready') {
    try {
      await deps.ping();
    } catch {
      status = 'starting';
    }
  }
  res.writeHead(status === 'ready' ? 200 : 503, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify({ status }));
}

/** One port: /healthz, /metrics, the registered routes, and everything else to yoga (/graphql). */
export function createHttpServer(deps: HttpServerDeps): Server {
  return createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const route = routeLabel(url.pathname);
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics.httpRequests.inc({ method, route, status: String(res.statusCode) });
      deps.metrics.httpDuration.observe({ method, route }, seconds);
    });
    try {
      if (url.pathname === '/healthz' && method === 'GET') return await healthz(deps, res);
      if (url.pathname === '/metrics' && method === 'GET') {
        res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
        res.end(await deps.metrics.registry.metrics());
        return;
      }
      const custom = findRoute(deps.routes, method, url.pathname);
      if (custom) return await custom.handle(req, res, url);
      await deps.yoga.requestListener(req, res);
    } catch (err) {
      deps.log.error({ err, path: url.pathname }, 'http handler failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal Server Error');
    }
  });
}
