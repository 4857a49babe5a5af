import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { parseBearer } from '../auth/token-secret.ts';
import type { Viewer } from '../graphql/context.ts';

/** What the edge learns about a request before GraphQL runs (validation needs the viewer). */
export interface RequestState {
  readonly viewer: Viewer | null;
  readonly requestId: string;
  readonly clientAddress: string | null;
}

/** The node adapter passes `req`; `yoga.fetch` in tests passes nothing. */
export interface ServerContext {
  req?: IncomingMessage;
}

const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

/** A caller-supplied X-Request-Id is kept when sane (log correlation), else a fresh UUID. */
export function requestIdOf(header: string | null | undefined): string {
  return header && requestIdPattern.test(header) ? header : randomUUID();
}

export const clientAddressOf = (req: IncomingMessage | undefined): string | null =>
  req?.socket?.remoteAddress ?? null;

/**
 * Resolves the bearer token once per HTTP request, before parsing, and keeps the result beside the
 * Request: the introspection rule (validation) and the context factory both read it.
 */
export function useRequestState(
  states: WeakMap<Request, RequestState>,
  resolveBearer: (token: string) => Promise<Viewer | null>,
  log: Logger,
): Plugin<ServerContext> {
  return {
    async onRequest({ request, serverContext }) {
      const token = parseBearer(request.headers.get('authorization'));
      let viewer: Viewer | null = null;
      try {
        viewer = token ? await resolveBearer(token) : null;
      } catch (err) {
        // The database is unreachable: say so (503) rather than treat the caller as anonymous.
        log.error({ err }, 'token resolution failed');
        throw createGraphQLError('Service temporarily unavailable', {
          extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
        });
      }
      states.set(request, {
        viewer,
        requestId: requestIdOf(request.headers.get('x-request-id')),
        clientAddress: clientAddressOf((serverContext as ServerContext | undefined)?.req),
      });
    },
  };
}
