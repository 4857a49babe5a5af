import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per app instance (tests build several apps in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'brume_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'brume_http_requests_total',
      help: 'HTTP requests by method, route and status.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'brume_http_request_duration_seconds',
      help: 'HTTP request duration (until the response head for streams).',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    graphqlOperations: new Counter({
      name: 'brume_graphql_operations_total',
      help: 'GraphQL operations by type and outcome (ok, error).',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    activeSubscriptions: new Gauge({
      name: 'brume_graphql_active_subscriptions',
      help: 'Open GraphQL subscriptions (graphql-ws and SSE).',
      registers: [registry],
    }),
    websocketConnections: new Gauge({
      name: 'brume_websocket_connections',
      help: 'Open graphql-ws connections.',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
