import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../../support/app.ts';

let t: TestApp;
let wsUrl: string;
let operator: string;
let viewer: string;

beforeAll(async () => {
  t = await startTestApp();
  ({ wsUrl } = await t.listen());
  operator = (await t.createUser('OPERATOR')).token;
  viewer = (await t.createUser('VIEWER')).token;
});
afterAll(() => t.close());

interface HostEventPayload {
  hostEvents: { kind: string; host: { name: string; macs: string[]; pending: boolean } };
}

it('Given a VIEWER subscribed to hostEvents over graphql-ws, when hosts change, then REGISTERED, CREATED, UPDATED and DELETED arrive in order', async () => {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${viewer}` },
  });
  const received: HostEventPayload['hostEvents'][] = [];
  const done = new Promise<void>((resolve, reject) => {
    const unsubscribe = client.subscribe<HostEventPayload>(
      { query: 'subscription { hostEvents { kind host { name macs pending } } }' },
      {
        next: (msg) => {
          if (msg.errors) reject(new Error(JSON.stringify(msg.errors)));
          if (msg.data) received.push(msg.data.hostEvents);
          if (received.length === 4) {
            unsubscribe();
            resolve();
          }
        },
        error: reject,
        complete: () => {},
      },
    );
  });
  try {
    // Subscriptions start asynchronously: wait until the server counts ours.
    for (let i = 0; i < 100 && t.app.services.pubsub.subscriberCount === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const hosts = t.app.services.hosts;
    const registered = await hosts.registerHost({ macs: ['52:54:00:0e:0e:01'], name: 'EV-1' });
    expect(registered.pending).toBe(true);
    const created = await t.gql<{ createHost: { host: { id: string } } }>(
      'mutation { createHost(input: { name: "EV-2", macs: ["52-54-00-0E-0E-02"] }) { ... on CreateHostSuccess { host { id } } } }',
      { token: operator },
    );
    const id = created.data!.createHost.host.id;
    await t.gql(`mutation { updateHost(input: { id: "${id}", description: "moved" }) { __typename } }`, {
      token: operator,
    });
    await t.gql(`mutation { deleteHost(input: { id: "${id}" }) { __typename } }`, { token: operator });
    await done;
  } finally {
    await client.dispose();
  }
  expect(received.map((e) => [e.kind, e.host.name])).toEqual([
    ['REGISTERED', 'EV-1'],
    ['CREATED', 'EV-2'],
    ['UPDATED', 'EV-2'],
    ['DELETED', 'EV-2'],
  ]);
  expect(received[1]?.host.macs).toEqual(['52:54:00:0e:0e:02']);
});

it('Given no token, when subscribing to hostEvents, then the subscription is refused', async () => {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  const outcome = await new Promise<string>((resolve) => {
    client.subscribe(
      { query: 'subscription { hostEvents { kind } }' },
      {
        next: (msg) =>
          resolve(String((msg.errors?.[0]?.extensions as { code?: string } | undefined)?.code ?? 'DATA')),
        error: () => resolve('ERROR'),
        complete: () => resolve('COMPLETE'),
      },
    );
  });
  await client.dispose();
  expect(['UNAUTHENTICATED', 'ERROR']).toContain(outcome);
});
