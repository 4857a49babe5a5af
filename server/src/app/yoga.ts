import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { GraphQLSchema } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { useAuditRejectedMutations } from '../audit/audit-rejected.ts';
import type { Config } from '../config/config.ts';
import type { Context, Viewer } from '../graphql/context.ts';
import { useIntrospectionForAuthenticated } from '../graphql/introspection-guard.ts';
import { useSubscriptionGuard } from '../graphql/subscription-guard.ts';
import { useErrorMasking } from './mask-error.ts';
import type { Metrics } from './metrics.ts';
import { type RequestState, type ServerContext, useRequestState } from './request-state.ts';
import type { Services } from './services.ts';

/** Header a browser cannot send cross-site without a CORS preflight. */
export const csrfHeader = 'x-graphql-csrf';

export interface YogaDeps {
  readonly config: Config;
  readonly schema: GraphQLSchema;
  readonly services: Services;
  readonly log: Logger;
  readonly metrics: Metrics;
}

/** For graphql-ws: the transport puts its own viewer and ids in the initial context. */
export interface WsInitialContext {
  readonly wsState: RequestState;
}

type StateOf = (initial: Record<string, unknown>) => RequestState | undefined;

/** HTTP requests find their state beside the Request; graphql-ws passes `wsState` directly. */
function stateLookup(states: WeakMap<Request, RequestState>): StateOf {
  return (initial) =>
    (initial.wsState as RequestState | undefined) ??
    // No `instanceof Request`: yoga may hand us its ponyfilled Request class.
    (typeof initial.request === 'object' && initial.request !== null
      ? states.get(initial.request as Request)
      : undefined);
}

/** Order matters: auth state first, then document limits, then execution wrappers, masking last. */
function corePlugins(deps: YogaDeps, states: WeakMap<Request, RequestState>, stateOf: StateOf): Plugin[] {
  const { config, services, log, metrics } = deps;
  const limits = config.core.limits;
  const viewerOf = (initial: Record<string, unknown>): Viewer | null => stateOf(initial)?.viewer ?? null;
  return [
    useRequestState(states, (token) => services.auth.resolveBearer(token), log) as Plugin,
    useCSRFPrevention({ requestHeaders: [csrfHeader, 'x-graphql-yoga-csrf'] }) as Plugin,
    EnvelopArmorPlugin({
      maxDepth: { n: limits.maxDepth, ignoreIntrospection: true },
      maxAliases: { n: limits.maxAliases },
      maxTokens: { n: limits.maxTokens },
      costLimit: { maxCost: limits.maxCost },
      maxDirectives: { n: 50 },
      blockFieldSuggestion: { enabled: true },
    }) as Plugin,
    useIntrospectionForAuthenticated(viewerOf) as Plugin,
    useAuditRejectedMutations(stateOf, services.audit, log),
    useSubscriptionGuard({
      recheckMs: config.core.auth.tokenRecheckMs,
      isTokenActive: (id) => services.auth.tokens.isActive(id),
      onOpen: () => metrics.activeSubscriptions.inc(),
      onClose: () => metrics.activeSubscriptions.dec(),
    }) as Plugin,
    useOperationMetrics(metrics),
    useErrorMasking(config.core.env === 'development') as Plugin,
  ];
}

export function createYogaServer(deps: YogaDeps) {
  const { services, log } = deps;
  const states = new WeakMap<Request, RequestState>();
  const stateOf = stateLookup(states);
  return createYoga<ServerContext & Partial<WsInitialContext>, Context>({
    schema: deps.schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/yoga-health',
    landingPage: false,
    logging: false,
    batching: false,
    graphiql: {
      title: 'Brume',
      subscriptionsProtocol: 'WS',
      headers: JSON.stringify({ Authorization: 'Bearer ' }),
    },
    // Bundled GraphiQL (works offline); ~45 MB, so only loaded when a browser asks for it.
    renderGraphiQL: async (options) =>
      (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    // Our own masking (useErrorMasking) knows the request id; yoga's does not.
    maskedErrors: false,
    context: (initial) => {
      const state = stateOf(initial as unknown as Record<string, unknown>);
      const requestId = state?.requestId ?? 'unknown';
      return {
        viewer: state?.viewer ?? null,
        services,
        requestId,
        clientAddress: state?.clientAddress ?? null,
        log: log.child({ requestId }),
      } satisfies Context;
    },
    plugins: corePlugins(deps, states, stateOf),
  });
}

function useOperationMetrics(metrics: Metrics): Plugin {
  return {
    onExecute({ args }) {
      const type = operationTypeOf(args.document);
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in result) return;
          metrics.graphqlOperations.inc({ type, outcome: result.errors?.length ? 'error' : 'ok' });
        },
      };
    },
    onSubscribe() {
      metrics.graphqlOperations.inc({ type: 'subscription', outcome: 'ok' });
    },
  };
}

function operationTypeOf(document: {
  definitions: ReadonlyArray<{ kind: string; operation?: string }>;
}): string {
  const op = document.definitions.find((d) => d.kind === 'OperationDefinition');
  return op?.operation ?? 'unknown';
}

export type BrumeYoga = ReturnType<typeof createYogaServer>;
