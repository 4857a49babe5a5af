import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp, type TestUser } from '../../support/app.ts';
import { closeCodeOf, openRawWs, sseEvents } from '../../support/ws-client.ts';

const subscription = 'subscription { auditEvents { action allowed outcome } }';
const createToken = (name: string) =>
  `mutation { createApiToken(input: { name: "${name}", role: VIEWER }) { __typename } }`;

describe('live events over graphql-ws and SSE', () => {
  let t: TestApp;
  let admin: TestUser;
  let url: string;
  let wsUrl: string;
  beforeAll(async () => {
    t = await startTestApp({ BRUME_WS_INIT_TIMEOUT_MS: '500', BRUME_TOKEN_RECHECK_SECONDS: '1' });
    admin = await t.createUser('ADMIN', 'events-admin');
    ({ url, wsUrl } = await t.listen());
  });
  afterAll(() => t.close());

  /** Resolves once a subscriber is registered on the pubsub (no sleeps: the machine may be slow). */
  /**
   * Runs a mutation every 200 ms until `first` settles: the subscription may register late on a
   * loaded machine, and any one of these mutations produces the awaited event.
   */
  const keepMutating = async <T>(first: Promise<T>, name: string): Promise<T> => {
    const timer = setInterval(() => void t.gql(createToken(name), { token: admin.token }), 200);
    try {
      return await first;
    } finally {
      clearInterval(timer);
    }
  };

  it('Given a graphql-ws subscription, when a mutation runs, then its audit event arrives', async () => {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${admin.token}` },
      retryAttempts: 0,
    });
    try {
      const iterator = client.iterate({ query: subscription });
      const { value } = await keepMutating(iterator.next(), 'ws-event');
      expect(value).toEqual({
        data: { auditEvents: { action: 'createApiToken', allowed: true, outcome: 'OK' } },
      });
      await iterator.return?.();
    } finally {
      await client.dispose();
    }
  });

  it('Given an SSE subscription, when a mutation runs, then its audit event arrives', async () => {
    const controller = new AbortController();
    const res = await fetch(url, {
      method: 'POST',
      signal: controller.signal,
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${admin.token}`,
      },
      body: JSON.stringify({ query: subscription }),
    });
    expect(res.status).toBe(200);
    const events = sseEvents(res.body!);
    const { value } = await keepMutating(events.next(), 'sse-event');
    expect(value).toEqual({
      data: { auditEvents: { action: 'createApiToken', allowed: true, outcome: 'OK' } },
    });
    controller.abort();
  });

  it('Given a VIEWER, when subscribing to an ADMIN topic, then FORBIDDEN', async () => {
    const viewer = await t.createUser('VIEWER', 'events-viewer');
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${viewer.token}`,
      },
      body: JSON.stringify({ query: subscription }),
    });
    const { value } = await sseEvents(res.body!).next();
    expect(value).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
  });

  it('Given a bad token in connection_init, then the socket closes with 4403', async () => {
    const socket = await openRawWs(wsUrl);
    const closed = closeCodeOf(socket);
    socket.send(
      JSON.stringify({
        type: 'connection_init',
        payload: { authorization: `Bearer brume_${'x'.repeat(43)}` },
      }),
    );
    expect(await closed).toBe(4403);
  });

  it('Given no connection_init in time, then the socket closes with 4408', async () => {
    const socket = await openRawWs(wsUrl);
    expect(await closeCodeOf(socket)).toBe(4408);
  });

  it('Given a second connection_init, then the socket closes with 4429', async () => {
    const socket = await openRawWs(wsUrl);
    const closed = closeCodeOf(socket);
    const init = JSON.stringify({
      type: 'connection_init',
      payload: { authorization: `Bearer ${admin.token}` },
    });
    socket.send(init);
    await new Promise((r) => socket.once('message', r)); // connection_ack
    socket.send(init);
    expect(await closed).toBe(4429);
  });

  it('Given an open graphql-ws subscription, when its token is revoked, then the socket closes (4403) within seconds', async () => {
    const { token, apiToken } = await t.app.services.auth.tokens.createApiToken(
      { userId: admin.user.id, username: 'events-admin', role: 'ADMIN', tokenId: '' },
      { name: 'short-lived', role: 'ADMIN' },
    );
    const socket = await openRawWs(wsUrl);
    const closed = closeCodeOf(socket);
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await new Promise((r) => socket.once('message', r));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: subscription } }));
    await t.app.services.auth.tokens.revoke(
      { userId: admin.user.id, username: '', role: 'ADMIN', tokenId: '' },
      apiToken.id,
    );
    expect(await closed).toBe(4403);
  });

  it('Given an open SSE subscription, when its token is revoked, then the stream ends with UNAUTHENTICATED', async () => {
    const { token, apiToken } = await t.app.services.auth.tokens.createApiToken(
      { userId: admin.user.id, username: 'events-admin', role: 'ADMIN', tokenId: '' },
      { name: 'short-lived-sse', role: 'ADMIN' },
    );
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query: subscription }),
    });
    const events = sseEvents(res.body!);
    await t.app.services.auth.tokens.revoke(
      { userId: admin.user.id, username: '', role: 'ADMIN', tokenId: '' },
      apiToken.id,
    );
    const { value } = await events.next();
    expect(value).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    const after = await events.next();
    expect(after.done).toBe(true);
  });
});
