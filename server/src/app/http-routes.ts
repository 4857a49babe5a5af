import type { IncomingMessage, ServerResponse } from 'node:http';
import { multicastTicketRoutes } from '../multicast/multicast-ticket-route.ts';
import { bootScriptRoutes } from '../pxe/boot-route.ts';
import type { Services } from './services.ts';

/**
 * A plain HTTP route beside /graphql (the data plane `/v1/...`, `/boot.ipxe`). A capability
 * registers its routes in `httpRoutes()` below: one line each.
 */
export interface HttpRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'HEAD' | 'DELETE';
  /** Exact path, or a prefix ending with `/`. */
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> | void;
}

export function httpRoutes(services: Services): HttpRoute[] {
  return [
    ...services.transfer.routes, // data plane /v1/ (server/src/transfer/PROTOCOL.md)
    ...bootScriptRoutes(services.pxe.bootScript), // iPXE menu and task boot (server/src/pxe/README.md)
    ...multicastTicketRoutes(services.multicast, services.transfer.core), // multicast session tickets
  ];
}

export function findRoute(
  routes: readonly HttpRoute[],
  method: string,
  pathname: string,
): HttpRoute | undefined {
  return routes.find(
    (r) =>
      r.method === method && (r.path === pathname || (r.path.endsWith('/') && pathname.startsWith(r.path))),
  );
}
