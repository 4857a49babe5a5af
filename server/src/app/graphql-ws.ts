import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { parseBearer } from '../auth/token-secret.ts';
import type { Viewer } from '../graphql/context.ts';
import type { Metrics } from './metrics.ts';
import { clientAddressOf, type RequestState } from './request-state.ts';
import type { Services } from './services.ts';
import type { BrumeYoga } from './yoga.ts';

/** Close codes we send ourselves; graphql-ws sends 4408 (init timeout) and 4429 (second init). */
export const wsCloseCodes = { forbidden: 4403, initTimeout: 4408, tooManyInits: 4429 } as const;

interface ConnectionState {
  viewer: Viewer | null;
  recheck?: NodeJS.Timeout;
}

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

export interface GraphqlWsDeps {
  readonly yoga: BrumeYoga;
  readonly services: Services;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly initTimeoutMs: number;
  readonly recheckMs: number;
}

/**
 * graphql-ws on the yoga endpoint, through `yoga.getEnveloped` so the same auth, limits, masking,
 * metrics and subscription guard apply as over HTTP/SSE. `connection_init` payload:
 * `{ authorization: 'Bearer <token>' }`; a bad token closes with 4403.
 */
export function attachGraphqlWs(server: Server, deps: GraphqlWsDeps) {
  const { yoga, services, log, metrics } = deps;
  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  const states = new WeakMap<object, ConnectionState>();
  const disposable = useServer(
    {
      connectionInitWaitTimeout: deps.initTimeoutMs,
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.authorization;
        let viewer: Viewer | null = null;
        if (raw !== undefined && raw !== null) {
          const token = typeof raw === 'string' ? parseBearer(raw) : null;
          viewer = token ? await services.auth.resolveBearer(token) : null;
          if (!viewer) return false; // graphql-ws closes with 4403 Forbidden
        }
        const state: ConnectionState = { viewer };
        if (viewer) {
          const tokenId = viewer.tokenId;
          state.recheck = setInterval(async () => {
            if (!(await services.auth.tokens.isActive(tokenId).catch(() => true))) {
              ctx.extra.socket.close(wsCloseCodes.forbidden, 'Forbidden');
            }
          }, deps.recheckMs);
          state.recheck.unref();
        }
        states.set(ctx, state);
        metrics.websocketConnections.inc();
        return true;
      },
      onClose: (ctx) => {
        const state = states.get(ctx);
        if (!state) return;
        clearInterval(state.recheck);
        states.delete(ctx);
        metrics.websocketConnections.dec();
      },
      onSubscribe: async (ctx, _id, params) => {
        const wsState: RequestState = {
          viewer: states.get(ctx)?.viewer ?? null,
          requestId: randomUUID(),
          clientAddress: clientAddressOf(ctx.extra.request),
        };
        const enveloped = yoga.getEnveloped({ ...ctx, req: ctx.extra.request, params, wsState } as never);
        let document: ExecutionArgs['document'];
        try {
          document = enveloped.parse(params.query);
        } catch (err) {
          return [err as GraphQLError];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          operationName: params.operationName ?? null,
          document,
          variableValues: params.variables ?? null,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe } satisfies EnvelopedRoot,
        };
        return args;
      },
    },
    wss,
  );
  wss.on('error', (err) => log.error({ err }, 'websocket server error'));
  return {
    wss,
    async close(): Promise<void> {
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
