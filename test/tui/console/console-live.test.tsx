/**
 * The console against a real in-process Brume server (test harness: PGlite database, real HTTP and
 * graphql-ws): log in through the TUI's client, list hosts, and see a host created by someone else
 * appear live through `hostEvents`.
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
import { waitForSubscriptions as waitForServerSubscriptions } from '../support/server-subscriptions.ts';
import { waitFor } from '../support/wait-for.ts';

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
      const missing = await createGraphqlConsolePort(asOperator.client).deleteImageVersion(
        'SW1hZ2VWZXJzaW9uOjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA==',
      );
      expect(missing).toEqual({ ok: false, message: expect.stringMatching(/no such image version/i) });
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
});
