/**
 * The TUI's urql client against a real in-process graphql-yoga server (HTTP, graphql-ws, SSE):
 * queries carry the bearer token, subscriptions work over WebSocket, and fall back to SSE when the
 * server offers no WebSocket.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gql } from '@urql/core';
import { useServer } from 'graphql-ws/use/ws';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createApiClient } from '../../../tui/src/api/graphql-client.ts';
import { parseSseChunk } from '../../../tui/src/api/sse-subscribe.ts';

const schema = createSchema<{ request: Request; auth?: string }>({
  typeDefs: /* GraphQL */ `
    type Query { whoami: String }
    type Subscription { ticks(n: Int!): Int!, me: String! }
  `,
  resolvers: {
    Query: { whoami: (_p, _a, ctx) => ctx.auth ?? ctx.request.headers.get('authorization') ?? 'nobody' },
    Subscription: {
      ticks: {
        async *subscribe(_p: unknown, { n }: { n: number }) {
          for (let i = 1; i <= n; i++) yield { ticks: i };
        },
      },
      me: {
        async *subscribe(_p: unknown, _a: unknown, ctx: { auth?: string; request?: Request }) {
          yield { me: ctx.auth ?? ctx.request?.headers.get('authorization') ?? 'nobody' };
        },
      },
    },
  },
});

const servers: { http: Server; wss?: WebSocketServer }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.wss?.close();
    s.http.closeAllConnections();
    await new Promise((r) => s.http.close(r));
  }
});

async function startServer(withWebSocket: boolean): Promise<string> {
  const yoga = createYoga({ schema, graphqlEndpoint: '/graphql', logging: false });
  const http = createServer(yoga);
  let wss: WebSocketServer | undefined;
  if (withWebSocket) {
    wss = new WebSocketServer({ server: http, path: '/graphql' });
    useServer(
      {
        // yoga's enveloped execute/subscribe travel in rootValue (the graphql-ws recipe of yoga's docs)
        execute: ((args: { rootValue: { execute: (a: unknown) => unknown } }) =>
          args.rootValue.execute(args)) as never,
        subscribe: ((args: { rootValue: { subscribe: (a: unknown) => unknown } }) =>
          args.rootValue.subscribe(args)) as never,
        onSubscribe: async (ctx, _id, params) => {
          const auth = String(
            (ctx.connectionParams as { authorization?: string } | undefined)?.authorization ?? '',
          );
          const {
            schema: s,
            execute,
            subscribe,
            contextFactory,
            parse,
            validate,
          } = yoga.getEnveloped({ auth });
          const args = {
            schema: s,
            operationName: params.operationName,
            document: parse(params.query),
            variableValues: params.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe },
          };
          const errors = validate(args.schema, args.document);
          return errors.length ? errors : args;
        },
      },
      wss,
    );
  }
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  servers.push(wss ? { http, wss } : { http });
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

const TICKS = gql<{ ticks: number }, { n: number }>`subscription T($n: Int!) { ticks(n: $n) }`;
const WHOAMI = gql<{ whoami: string }>`query { whoami }`;

function collect(api: ReturnType<typeof createApiClient>, n: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const seen: number[] = [];
    const { unsubscribe } = api.client.subscription(TICKS, { n }).subscribe((r) => {
      if (r.error) return reject(r.error);
      if (r.data) seen.push(r.data.ticks);
      if (seen.length === n) {
        unsubscribe();
        resolve(seen);
      }
    });
  });
}

describe('urql client (HTTP + graphql-ws + SSE fallback)', () => {
  it('sends the bearer token on queries, and a new one after setToken', async () => {
    const api = createApiClient({ server: await startServer(true), token: 'abc' });
    expect((await api.client.query(WHOAMI, {}).toPromise()).data?.whoami).toBe('Bearer abc');
    api.setToken('def');
    expect((await api.client.query(WHOAMI, {}).toPromise()).data?.whoami).toBe('Bearer def');
    api.close();
  });

  it('given a WebSocket endpoint, subscriptions use graphql-ws (with the token in connection_init)', async () => {
    const api = createApiClient({ server: await startServer(true), token: 'abc' });
    expect(await collect(api, 3)).toEqual([1, 2, 3]);
    expect(api.subscriptionTransport()).toBe('ws');
    const ME = gql<{ me: string }>`subscription { me }`;
    const me = await new Promise<string>((resolve) => {
      const sub = api.client.subscription(ME, {}).subscribe((r) => {
        if (r.data) {
          sub.unsubscribe();
          resolve(r.data.me);
        }
      });
    });
    expect(me).toBe('Bearer abc');
    api.close();
  });

  it('given no WebSocket endpoint, auto mode falls back to SSE and still receives every event', async () => {
    const api = createApiClient({ server: await startServer(false), token: 'abc' });
    expect(await collect(api, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(api.subscriptionTransport()).toBe('sse');
    api.close();
  });

  it('parses SSE frames split anywhere, ignoring keep-alive comments', () => {
    const a = parseSseChunk(':\n\nevent: next\ndata: {"a":');
    expect(a.events).toEqual([]);
    const b = parseSseChunk(`${a.rest}1}\n\nevent: complete\ndata:\n\n`);
    expect(b.events).toEqual([
      { event: 'next', data: '{"a":1}' },
      { event: 'complete', data: '' },
    ]);
  });
});
