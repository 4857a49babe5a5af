import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import type { Context as WsContext } from 'graphql-ws';
import { type Extra, useServer } from 'graphql-ws/use/ws';
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

type Ctx = WsContext<Record<string, unknown> | undefined, Extra>;

interface ConnectionState {
  readonly viewer: Viewer | null;
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
 * `connection_init` payload `{ authorization: 'Bearer <token>' }`: a bad token refuses the
 * connection (graphql-ws closes 4403); none means anonymous. A live token is re-checked
 * periodically and the socket closed (4403) once it is revoked, expired or its user disabled.
 */
async function connect(ctx: Ctx, deps: GraphqlWsDeps): Promise<ConnectionState | null> {
  const raw = ctx.connectionParams?.authorization;
  if (raw === undefined || raw === null) return { viewer: null };
  const token = typeof raw === 'string' ? parseBearer(raw) : null;
  const viewer = token ? await deps.services.auth.resolveBearer(token) : null;
  if (!viewer) return null;
  const state: ConnectionState = { viewer };
  state.recheck = setInterval(async () => {
    if (!(await deps.services.auth.tokens.isActive(viewer.tokenId).catch(() => true))) {
      ctx.extra.socket.close(wsCloseCodes.forbidden, 'Forbidden');
    }
  }, deps.recheckMs);
  state.recheck.unref();
  return state;
}

/** Each operation goes through yoga's envelop: same auth, limits, audit, masking as HTTP. */
async function prepare(
  ctx: Ctx,
  params: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  viewer: Viewer | null,
  yoga: BrumeYoga,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  const wsState: RequestState = {
    viewer,
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
  return {
    schema: enveloped.schema,
    operationName: params.operationName ?? null,
    document,
    variableValues: params.variables ?? null,
    contextValue: await enveloped.contextFactory(),
    rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe } satisfies EnvelopedRoot,
  };
}

/** graphql-ws on the yoga endpoint (`/graphql`), sharing the HTTP server's port. */
export function attachGraphqlWs(server: Server, deps: GraphqlWsDeps) {
  const wss = new WebSocketServer({ server, path: deps.yoga.graphqlEndpoint });
  const states = new WeakMap<object, ConnectionState>();
  const disposable = useServer(
    {
      connectionInitWaitTimeout: deps.initTimeoutMs,
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onConnect: async (ctx) => {
        const state = await connect(ctx, deps);
        if (!state) return false;
        states.set(ctx, state);
        deps.metrics.websocketConnections.inc();
        return true;
      },
      onClose: (ctx) => {
        const state = states.get(ctx);
        if (!state) return;
        clearInterval(state.recheck);
        states.delete(ctx);
        deps.metrics.websocketConnections.dec();
      },
      onSubscribe: (ctx, _id, params) => prepare(ctx, params, states.get(ctx)?.viewer ?? null, deps.yoga),
    },
    wss,
  );
  wss.on('error', (err) => deps.log.error({ err }, 'websocket server error'));
  return {
    wss,
    async close(): Promise<void> {
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
