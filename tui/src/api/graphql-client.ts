/**
 * The urql client of both faces: queries and mutations over HTTP, subscriptions over graphql-ws,
 * falling back to SSE when the WebSocket cannot connect. Node 20 has no global WebSocket, so
 * `ws`'s is passed in. The bearer token can change after a login, so it is read per request.
 */
import { Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { sseSubscribe } from './sse-subscribe.ts';

export type Transport = 'auto' | 'ws' | 'sse';

export interface ApiClientOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8080`. */
  readonly server: string;
  readonly token?: string | null;
  /** @default 'auto' (graphql-ws, SSE when the WebSocket cannot connect) */
  readonly transport?: Transport;
}

export interface ApiClient {
  readonly client: Client;
  setToken(token: string | null): void;
  /** Called each time the WebSocket is (re)connected: events may have been missed meanwhile. */
  onConnected(listener: () => void): () => void;
  /** Which transport subscriptions use now (after a fallback: `sse`). */
  subscriptionTransport(): 'ws' | 'sse';
  close(): void;
}

export function graphqlUrl(server: string): string {
  return `${server.replace(/\/+$/, '')}/graphql`;
}

/**
 * A WebSocket that never worked (refused upgrade, proxy, network error) means "try SSE"; GraphQL
 * errors and the server's own close codes (4xxx: 4403 bad token, 4400 bad request) are answers,
 * and falling back would only hide them.
 */
export function isTransportFailure(e: unknown): boolean {
  if (Array.isArray(e)) return false;
  const code = (e as { code?: unknown } | null)?.code;
  return !(typeof code === 'number' && code >= 4000 && code <= 4999);
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  let token = options.token ?? null;
  const transport = options.transport ?? 'auto';
  const url = graphqlUrl(options.server);
  // The CSRF header is what yoga's CSRF prevention asks of non-browser clients.
  const headers = (): Record<string, string> => ({
    'x-graphql-csrf': '1',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  });
  let everConnected = false;
  const connectedListeners = new Set<() => void>();
  let wsBroken = transport === 'sse';
  const ws = createWsClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    lazy: true,
    connectionParams: () => (token ? { authorization: `Bearer ${token}` } : {}),
    // Only retry a connection that once worked; a first failure means "use SSE" in auto mode.
    retryAttempts: 5,
    shouldRetry: () => everConnected,
    on: {
      connected: () => {
        everConnected = true;
        for (const l of connectedListeners) l();
      },
    },
  });
  const client = new Client({
    url,
    preferGetMethod: false,
    requestPolicy: 'network-only',
    fetchOptions: () => ({ headers: headers() }),
    exchanges: [
      subscriptionExchange({
        forwardSubscription(request) {
          const input = {
            query: request.query ?? '',
            variables: request.variables,
            operationName: request.operationName,
          };
          return {
            subscribe(sink) {
              if (wsBroken) return { unsubscribe: sseSubscribe(url, input, headers, sink) };
              let fallback: (() => void) | null = null;
              const stop = ws.subscribe(input, {
                next: (v) => sink.next(v as never),
                complete: () => sink.complete(),
                error: (e) => {
                  if (transport === 'auto' && !everConnected && isTransportFailure(e)) {
                    wsBroken = true;
                    fallback = sseSubscribe(url, input, headers, sink);
                  } else sink.error(e);
                },
              });
              return { unsubscribe: () => (fallback ? fallback() : stop()) };
            },
          };
        },
      }),
      fetchExchange,
    ],
  });
  return {
    client,
    setToken: (t) => {
      token = t;
      // A new identity needs a new WebSocket: connection_init carried the old token.
      void ws.dispose();
    },
    onConnected: (listener) => {
      connectedListeners.add(listener);
      return () => connectedListeners.delete(listener);
    },
    subscriptionTransport: () => (wsBroken ? 'sse' : 'ws'),
    close: () => void ws.dispose(),
  };
}
