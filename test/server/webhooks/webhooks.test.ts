/**
 * Webhooks (server/src/webhooks/WEBHOOKS.md) against a real receiver on loopback: what is sent,
 * how it is signed, which events go where, retries, and what is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../../server/src/webhooks/webhook-signature.ts';
import { webhookReceiver } from '../../support/webhook-receiver.ts';
import {
  call,
  checkIn,
  createHost,
  rawId,
  startAppWithImage,
  startDeploy,
  type TransferApp,
  uniqueMac,
  until,
} from '../transfer/transfer-harness.ts';

let app: TransferApp;
let image: { id: string; name: string };
let admin: string;
let base: string;
const rx = webhookReceiver();

async function gql<T>(query: string, variables: Record<string, unknown> = {}, token = admin): Promise<T> {
  const res = await app.gql<T>(query, { token, variables });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as T;
}

async function createWebhook(name: string, path: string, events: string[]) {
  const d = await gql<{
    createWebhook: { __typename: string; secret?: string; webhook?: { id: string }; message?: string };
  }>(
    `mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { __typename
       ... on CreateWebhookSuccess { secret webhook { id } } ... on Error { message } } }`,
    { i: { name, url: `${base}${path}`, events } },
  );
  return d.createWebhook;
}

interface Delivery {
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  event: string;
}

async function deliveries(webhookId: string): Promise<Delivery[]> {
  const d = await gql<{ node: { deliveries: { edges: { node: Delivery }[] } } }>(
    `query($id: ID!) { node(id: $id) { ... on Webhook { deliveries { edges { node {
       state attempts lastStatus lastError event } } } } } }`,
    { id: webhookId },
  );
  return d.node.deliveries.edges.map((e) => e.node);
}

/** A deploy task of a new host, failed by its client with `reason`; the task's raw id. */
async function failedTask(reason: string): Promise<{ taskId: string; mac: string }> {
  const host = await createHost(app);
  const task = await startDeploy(app, host.id, image.id);
  const { token } = await checkIn(app, host.mac);
  const r = await call(app, 'POST', '/v1/task/fail', { token, mac: host.mac, json: { reason } });
  expect(r.status).toBe(200);
  return { taskId: rawId(task.id), mac: host.mac };
}

beforeAll(async () => {
  base = await rx.start();
  ({ app, image } = await startAppWithImage(1, { BRUME_WEBHOOK_RETRY_SECONDS: '1,1' }));
  admin = (await app.t.createUser('ADMIN')).token;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await rx.close();
});

describe('webhooks', () => {
  it('a failed task is POSTed to the webhooks that want it, signed with the secret shown once', async () => {
    const wants = await createWebhook('helpdesk', '/failed', ['TASK_FAILED']);
    const other = await createWebhook('chat', '/complete', ['TASK_COMPLETE']);
    expect(wants.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const { taskId, mac } = await failedTask('the disk is on fire');
    await until(() => rx.at('/failed').length === 1, 10_000, 'the TASK_FAILED delivery');

    const [req] = rx.at('/failed');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['brume-event']).toBe('TASK_FAILED');
    const signature = req!.headers['brume-signature'] as string;
    expect(verifyWebhookSignature(wants.secret!, req!.body, signature)).toBe(true);
    expect(verifyWebhookSignature(other.secret!, req!.body, signature)).toBe(false);
    expect(verifyWebhookSignature(wants.secret!, `${req!.body} `, signature)).toBe(false);
    const doc = JSON.parse(req!.body);
    expect(doc).toMatchObject({
      id: req!.headers['brume-delivery'],
      event: 'TASK_FAILED',
      data: {
        task: {
          type: 'DEPLOY',
          state: 'FAILED',
          failureReason: 'the disk is on fire',
          host: { macs: [mac] },
          image: { id: image.id, name: image.name },
          imageVersion: 1,
        },
      },
    });
    expect(rawId(doc.data.task.id)).toBe(taskId);
    expect(rx.at('/complete')).toHaveLength(0);
    // The receiver answers before the row is updated: wait for the row.
    await until(async () => (await deliveries(wants.webhook!.id))[0]?.state !== 'PENDING', 5_000, 'the row');
    expect(await deliveries(wants.webhook!.id)).toEqual([
      expect.objectContaining({ state: 'DELIVERED', attempts: 1, lastStatus: 200, lastError: null }),
    ]);
    // The secret is not part of the Webhook type at all.
    const leak = await app.gql(`query($id: ID!) { node(id: $id) { ... on Webhook { secret } } }`, {
      token: admin,
      variables: { id: wants.webhook!.id },
    });
    expect(leak.errors?.[0]?.message).toContain('secret');
    for (const w of [wants, other]) {
      await gql('mutation($i: DeleteWebhookInput!) { deleteWebhook(input: $i) { __typename } }', {
        i: { id: w.webhook!.id },
      });
    }
  });

  it('an answer other than 2xx is retried with the same delivery id, then given up with the reason', async () => {
    rx.answers.set('/flaky', [500]);
    rx.answers.set('/down', [503, 503, 503]);
    rx.answers.set('/moved', [302, 302, 302]);
    const flaky = await createWebhook('flaky', '/flaky', ['TASK_FAILED']);
    const down = await createWebhook('down', '/down', ['TASK_FAILED']);
    const moved = await createWebhook('moved', '/moved', ['TASK_FAILED']);
    await failedTask('again');
    await until(async () => (await deliveries(down.webhook!.id))[0]?.state === 'FAILED', 15_000, 'giving up');
    await until(
      async () => (await deliveries(moved.webhook!.id))[0]?.state === 'FAILED',
      15_000,
      'the redirect',
    );

    await until(
      async () => (await deliveries(flaky.webhook!.id))[0]?.state === 'DELIVERED',
      5_000,
      'the retry',
    );
    const tries = rx.at('/flaky');
    expect(tries).toHaveLength(2);
    expect(tries[1]!.headers['brume-delivery']).toBe(tries[0]!.headers['brume-delivery']);
    expect(await deliveries(flaky.webhook!.id)).toEqual([
      expect.objectContaining({ state: 'DELIVERED', attempts: 2, lastStatus: 200 }),
    ]);
    // One attempt and the two configured retries, then FAILED with the receiver's answer.
    expect(rx.at('/down')).toHaveLength(3);
    expect(await deliveries(down.webhook!.id)).toEqual([
      expect.objectContaining({
        state: 'FAILED',
        attempts: 3,
        lastStatus: 503,
        lastError: 'HTTP 503: nope 503',
      }),
    ]);
    // A redirect is a failure: never followed to where it points.
    expect((await deliveries(moved.webhook!.id))[0]).toMatchObject({ lastStatus: 302, attempts: 3 });
    for (const w of [flaky, down, moved]) {
      await gql('mutation($i: DeleteWebhookInput!) { deleteWebhook(input: $i) { __typename } }', {
        i: { id: w.webhook!.id },
      });
    }
  });

  it('ping, rotation, disabling and redelivery', async () => {
    const hook = await createWebhook('ops', '/ops', ['TASK_FAILED']);
    const id = hook.webhook!.id;
    await gql('mutation($i: PingWebhookInput!) { pingWebhook(input: $i) { __typename } }', { i: { id } });
    await until(() => rx.at('/ops').length === 1, 10_000, 'the ping');
    expect(rx.at('/ops')[0]!.headers['brume-event']).toBe('PING');

    const rotated = await gql<{ rotateWebhookSecret: { secret: string } }>(
      'mutation($i: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $i) { ... on RotateWebhookSecretSuccess { secret } } }',
      { i: { id } },
    );
    await failedTask('after rotation');
    await until(() => rx.at('/ops').length === 2, 10_000, 'the event after rotation');
    const [, after] = rx.at('/ops');
    const sig = after!.headers['brume-signature'] as string;
    expect(verifyWebhookSignature(rotated.rotateWebhookSecret.secret, after!.body, sig)).toBe(true);
    expect(verifyWebhookSignature(hook.secret!, after!.body, sig)).toBe(false);

    await gql('mutation($i: UpdateWebhookInput!) { updateWebhook(input: $i) { __typename } }', {
      i: { id, enabled: false },
    });
    await failedTask('while disabled');
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.at('/ops')).toHaveLength(2);
    expect(await deliveries(id)).toHaveLength(2);

    await gql('mutation($i: UpdateWebhookInput!) { updateWebhook(input: $i) { __typename } }', {
      i: { id, enabled: true },
    });
    const d = await gql<{ node: { deliveries: { edges: { node: { id: string } }[] } } }>(
      'query($id: ID!) { node(id: $id) { ... on Webhook { deliveries(first: 1) { edges { node { id } } } } } }',
      { id },
    );
    await gql(
      'mutation($i: RedeliverWebhookDeliveryInput!) { redeliverWebhookDelivery(input: $i) { __typename } }',
      {
        i: { id: d.node.deliveries.edges[0]!.node.id },
      },
    );
    await until(() => rx.at('/ops').length === 3, 10_000, 'the redelivery');
    const [, second, third] = rx.at('/ops');
    expect(JSON.parse(third!.body).data).toEqual(JSON.parse(second!.body).data);
    expect(third!.headers['brume-delivery']).not.toBe(second!.headers['brume-delivery']);
  });

  it('a machine registering itself from the boot menu is a HOST_REGISTERED event', async () => {
    const hook = await createWebhook('newcomers', '/hosts', ['HOST_REGISTERED']);
    const mac = uniqueMac();
    const r = await call(app, 'POST', '/v1/register', {
      json: { mac, mode: 'quick', inventory: { systemProduct: 'Standard PC', disks: [], nics: [] } },
    });
    expect(r.status).toBe(201);
    await until(() => rx.at('/hosts').length === 1, 10_000, 'the HOST_REGISTERED delivery');
    expect(JSON.parse(rx.at('/hosts')[0]!.body)).toMatchObject({
      event: 'HOST_REGISTERED',
      data: { host: { macs: [mac], pending: true } },
    });
    await gql('mutation($i: DeleteWebhookInput!) { deleteWebhook(input: $i) { __typename } }', {
      i: { id: hook.webhook!.id },
    });
  });

  it('bad input is refused, typed, and only an ADMIN sees webhooks', async () => {
    for (const url of ['ftp://127.0.0.1/x', 'http://user:pw@127.0.0.1/x', 'not a url']) {
      const d = await gql<{ createWebhook: { __typename: string } }>(
        'mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { __typename } }',
        { i: { name: 'bad', url, events: ['TASK_FAILED'] } },
      );
      expect(d.createWebhook.__typename).toBe('InvalidWebhookUrlError');
    }
    const none = await gql<{ createWebhook: { __typename: string } }>(
      'mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { __typename } }',
      { i: { name: 'none', url: `${base}/x`, events: [] } },
    );
    expect(none.createWebhook.__typename).toBe('InputValidationError');
    expect(
      (await gql<{ webhooks: { totalCount: number } }>('{ webhooks { totalCount } }')).webhooks.totalCount,
    ).toBe(1);
    const asOperator = await app.gql('{ webhooks { totalCount } }', { token: app.operator });
    expect(asOperator.errors?.length).toBeGreaterThan(0);
  });
});
