/**
 * The console against a real in-process Brume server (test harness: PGlite database, real HTTP and
 * graphql-ws): log in through the TUI's client, list hosts, and see a host created by someone else
 * appear live through `hostEvents`; manage a webhook posting to a receiver on loopback.
 */
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginDocument, ViewerDocument } from '../../../tui/src/api/documents.ts';
import { type ApiClient, createApiClient } from '../../../tui/src/api/graphql-client.ts';
import {
  createGraphqlConsolePort,
  runMutation,
  runQuery,
} from '../../../tui/src/api/graphql-console-port.ts';
import { ConsoleApp } from '../../../tui/src/console/console-app.tsx';
import { createTheme, ThemeContext } from '../../../tui/src/ui/theme.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { webhookReceiver } from '../../support/webhook-receiver.ts';
import { waitForSubscriptions as waitForServerSubscriptions } from '../support/server-subscriptions.ts';
import { settle, waitFor } from '../support/wait-for.ts';

let t: TestApp;
let server: string;
let api: ApiClient;

beforeAll(async () => {
  t = await startTestApp();
  const { url } = await t.listen();
  server = url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  api?.close();
  await t?.close();
});

const waitForSubscriptions = (n: number) => waitForServerSubscriptions(server, n);

const CREATE_HOST = `mutation($name: String!, $mac: String!) {
  createHost(input: { name: $name, macs: [$mac] }) { __typename ... on Error { message } }
}`;

const CREATE_WEBHOOK = `mutation($i: CreateWebhookInput!) {
  createWebhook(input: $i) { __typename ... on CreateWebhookSuccess { webhook { id } } ... on Error { message } }
}`;

/** The webhook as the server has it, with its deliveries (newest first). */
async function webhookOnServer(id: string, token: string) {
  const r = await t.gql<{
    node: { enabled: boolean; deliveries: { edges: { node: { id: string; state: string } }[] } };
  }>(
    `query($id: ID!) { node(id: $id) { ... on Webhook { enabled deliveries(first: 5) {
       edges { node { id state } } } } } }`,
    { token, variables: { id } },
  );
  const w = r.data!.node;
  return { enabled: w.enabled, deliveries: w.deliveries.edges.map((e) => e.node) };
}

describe('console against a running server', () => {
  it('given an operator, login through the TUI client gives a working token', async () => {
    const { user, password } = await t.createUser('OPERATOR');
    api = createApiClient({ server });
    const r = (await runMutation(api.client, LoginDocument, { username: user.username, password })).login;
    expect(r.__typename).toBe('LoginSuccess');
    api.setToken(r.token ?? null);
    expect((await runQuery(api.client, ViewerDocument, {})).viewer?.username).toBe(user.username);
  });

  it('with the SSE transport (no WebSocket), hostEvents still arrive live', async () => {
    const admin = await t.createUser('ADMIN');
    const client = createApiClient({ server, token: admin.token, transport: 'sse' });
    const port = createGraphqlConsolePort(client.client);
    const seen: string[] = [];
    const stop = port.onHostEvent(
      (kind, h) => seen.push(`${kind} ${h.name}`),
      (m) => seen.push(`error ${m}`),
    );
    try {
      await waitForSubscriptions(1);
      await t.gql(CREATE_HOST, {
        token: admin.token,
        variables: { name: 'sse-01', mac: '52:54:00:aa:00:11' },
      });
      await waitFor(() => seen.includes('CREATED sse-01'), 'host event over SSE', 10_000);
      expect(client.subscriptionTransport()).toBe('sse');
    } finally {
      stop();
      client.close();
    }
  });

  it('store maintenance through the port: an ADMIN collects the store, an OPERATOR is refused; a version that does not exist is named', async () => {
    const admin = await t.createUser('ADMIN');
    const operator = await t.createUser('OPERATOR');
    const asAdmin = createApiClient({ server, token: admin.token, transport: 'sse' });
    const asOperator = createApiClient({ server, token: operator.token, transport: 'sse' });
    try {
      const collected = await createGraphqlConsolePort(asAdmin.client).collectStoreGarbage();
      expect(collected).toEqual({
        ok: true,
        message: expect.stringMatching(/^store collected: 0 chunks removed/),
      });
      // The console shows the message of a refusal in its status bar (runPending catches it).
      await expect(createGraphqlConsolePort(asOperator.client).collectStoreGarbage()).rejects.toThrow(
        /not allowed for your role/i,
      );
      const imported = await createGraphqlConsolePort(asAdmin.client).importStoreImages();
      expect(imported).toEqual({ ok: true, message: 'store import: nothing to register' });
      await expect(createGraphqlConsolePort(asOperator.client).importStoreImages()).rejects.toThrow(
        /not allowed for your role/i,
      );
      const missing = await createGraphqlConsolePort(asOperator.client).deleteImageVersion(
        'SW1hZ2VWZXJzaW9uOjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA==',
      );
      expect(missing).toEqual({ ok: false, message: expect.stringMatching(/no such image version/i) });
      const unverifiable = await createGraphqlConsolePort(asOperator.client).verifyImageVersion(
        'SW1hZ2VWZXJzaW9uOjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA==',
      );
      expect(unverifiable).toEqual({ ok: false, message: expect.stringMatching(/no such image version/i) });
      const created = await t.gql<{ createImage: { image: { id: string } } }>(
        `mutation { createImage(input: { name: "keep-live", osType: LINUX, imageType: MULTIPLE_PARTITION_SINGLE_DISK }) {
          ... on CreateImageSuccess { image { id } } } }`,
        { token: operator.token },
      );
      const imageId = created.data!.createImage.image.id;
      const port = createGraphqlConsolePort(asOperator.client);
      expect(await port.setImageKeepVersions(imageId, 3)).toEqual({
        ok: true,
        message: 'keep-live keeps its 3 newest versions',
      });
      expect(await port.setImageKeepVersions(imageId, 0)).toEqual({
        ok: true,
        message: 'keep-live keeps every version',
      });
    } finally {
      asAdmin.close();
      asOperator.close();
    }
  });

  it('lists hosts and shows a new host live over graphql-ws', async () => {
    const admin = await t.createUser('ADMIN');
    await t.gql(CREATE_HOST, { token: admin.token, variables: { name: 'lab-01', mac: '52:54:00:aa:00:01' } });
    const client = createApiClient({ server, token: admin.token });
    const port = createGraphqlConsolePort(client.client);
    const app = render(
      <ThemeContext.Provider value={createTheme(true)}>
        <ConsoleApp
          port={port}
          username={admin.user.username}
          size={{ columns: 80, rows: 24 }}
          initialPane="hosts"
        />
      </ThemeContext.Provider>,
    );
    try {
      await waitFor(() => (app.lastFrame() ?? '').includes('lab-01'), 'initial host list', 10_000);
      expect(app.lastFrame()).toContain('52:54:00:aa:00:01');
      // Events are live only: wait until the server holds our subscriptions (hosts, tasks, images, audit).
      await waitForSubscriptions(4);
      const created = await t.gql<{ createHost: { __typename: string } }>(CREATE_HOST, {
        token: admin.token,
        variables: { name: 'lab-02', mac: '52-54-00-AA-00-02' },
      });
      expect(created.data?.createHost.__typename).toBe('CreateHostSuccess');
      await waitFor(() => (app.lastFrame() ?? '').includes('lab-02'), 'live host from hostEvents', 10_000);
      expect(app.lastFrame()).toContain('52:54:00:aa:00:02'); // normalized by the server
      expect(client.subscriptionTransport()).toBe('ws');
    } finally {
      app.unmount();
      client.close();
    }
  });

  it('given a webhook, an admin disables it and pings it from the pane: the PING waits, reaches the receiver once enabled again, and the row says so; a non-admin is told the pane is for ADMINs', async () => {
    const rx = webhookReceiver();
    const rxUrl = await rx.start();
    const admin = await t.createUser('ADMIN');
    const created = await t.gql<{ createWebhook: { __typename: string; webhook?: { id: string } } }>(
      CREATE_WEBHOOK,
      {
        token: admin.token,
        variables: { i: { name: 'helpdesk', url: `${rxUrl}/hook`, events: ['TASK_FAILED'] } },
      },
    );
    expect(created.data?.createWebhook.__typename).toBe('CreateWebhookSuccess');
    const id = created.data!.createWebhook.webhook!.id;
    const client = createApiClient({ server, token: admin.token });
    const app = render(
      <ThemeContext.Provider value={createTheme(true)}>
        <ConsoleApp
          port={createGraphqlConsolePort(client.client)}
          username={admin.user.username}
          size={{ columns: 80, rows: 24 }}
        />
      </ThemeContext.Provider>,
    );
    const frame = () => app.lastFrame() ?? '';
    try {
      await settle(100);
      app.stdin.write('b');
      await waitFor(() => /helpdesk +http:\/\/127\.0\.… +failed +on +none yet/.test(frame()), 'the webhook');

      app.stdin.write('e');
      await waitFor(() => frame().includes('✓ helpdesk disabled'), 'the outcome in the status bar');
      await waitFor(() => /helpdesk .* off +none yet/.test(frame()), 'the reloaded row', 10_000);
      expect((await webhookOnServer(id, admin.token)).enabled).toBe(false);

      app.stdin.write('p');
      await waitFor(() => frame().includes('✓ PING queued'), 'the ping outcome');
      await waitFor(() => /helpdesk .* off +PING pending/.test(frame()), 'the ping in the row', 10_000);
      // Past the console's second read after a ping (2 s): only a visit reads the list again now.
      await settle(2500);
      expect(rx.received).toEqual([]); // a disabled webhook's deliveries wait

      app.stdin.write('e');
      await waitFor(() => rx.received.length === 1, 'the PING at the receiver', 10_000);
      expect(rx.received[0]).toMatchObject({ path: '/hook', headers: { 'brume-event': 'PING' } });
      // The row is read again below: first the server records the answer.
      const end = Date.now() + 10_000;
      while ((await webhookOnServer(id, admin.token)).deliveries[0]?.state !== 'DELIVERED') {
        if (Date.now() > end) throw new Error('the delivery was never recorded as delivered');
        await settle(50);
      }
      // The read after `e` may have seen it pending or delivered (it races the delivery); a visit
      // reads the list again either way (that a visit reloads is the component tests' business).
      app.stdin.write('b');
      await waitFor(
        () => /helpdesk .* on +PING delivered ×1 HTTP 200/.test(frame()),
        'the delivered ping in the row',
        10_000,
      );
    } finally {
      app.unmount();
      client.close();
      await rx.close();
    }

    const operator = await t.createUser('OPERATOR');
    const asOperator = createApiClient({ server, token: operator.token });
    const seen = render(
      <ThemeContext.Provider value={createTheme(true)}>
        <ConsoleApp
          port={createGraphqlConsolePort(asOperator.client)}
          username={operator.user.username}
          size={{ columns: 80, rows: 24 }}
          initialPane="webhooks"
          role={operator.user.role}
        />
      </ThemeContext.Provider>,
    );
    try {
      await waitFor(() => (seen.lastFrame() ?? '').includes('webhooks are for ADMINs'), 'non-admin text');
    } finally {
      seen.unmount();
      asOperator.close();
    }
  });
});
