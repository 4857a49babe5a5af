/**
 * FOG's group tasking: the start mutations take groups as well as hosts; each member gets one task,
 * a host named twice (directly and through a group) once. An unknown group, or no host at all, is
 * refused and nothing is queued.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiClient } from '../../../tui/src/api/graphql-client.ts';
import { createGraphqlConsolePort } from '../../../tui/src/api/graphql-console-port.ts';
import { localMinute } from '../../../tui/src/console/console-model.ts';
import {
  createGroup,
  createHost,
  rawId,
  startAppWithImage,
  type TransferApp,
} from '../transfer/transfer-harness.ts';

let a: TransferApp;
let image: { id: string; name: string };

beforeAll(async () => {
  ({ app: a, image } = await startAppWithImage(1));
});
afterAll(async () => {
  await a?.close();
});

interface Started {
  __typename: string;
  tasks?: { host: { id: string } }[];
  message?: string;
}

async function start(mutation: 'startDeploy' | 'startInventory', input: Record<string, unknown>) {
  const inputType = mutation === 'startDeploy' ? 'StartDeployInput' : 'StartInventoryInput';
  const res = await a.gql<Record<string, Started>>(
    `mutation($i: ${inputType}!) { ${mutation}(input: $i) { __typename
      ... on ${mutation === 'startDeploy' ? 'StartDeploySuccess' : 'StartInventorySuccess'} { tasks { host { id } } }
      ... on Error { message } } }`,
    { token: a.operator, variables: { i: input } },
  );
  return res.data?.[mutation];
}

const activeTasks = async (hostIds: string[]) => {
  let n = 0;
  for (const id of hostIds) {
    n += (
      await a.t.app.services.tasks.listTasks(
        { hostId: rawId(id), states: ['QUEUED'] },
        { offset: 0, limit: 10 },
      )
    ).length;
  }
  return n;
};

it('Given a group of two and a host named both directly and through the group, then a deploy queues one task per host, three in all', async () => {
  const [h1, h2, h3] = [await createHost(a), await createHost(a), await createHost(a)];
  const lab = await createGroup(a, [h1.id, h2.id]);
  const started = await start('startDeploy', { groupIds: [lab], hostIds: [h3.id, h1.id], imageId: image.id });
  expect(started?.__typename).toBe('StartDeploySuccess');
  expect(started?.tasks?.map((t) => t.host.id).sort()).toEqual([h1.id, h2.id, h3.id].sort());
});

it('Given an unknown group, an empty group alone, or a group with a busy member, then the request is refused whole and nothing is queued', async () => {
  const [h1, h2] = [await createHost(a), await createHost(a)];
  const lab = await createGroup(a, [h1.id, h2.id]);
  const empty = await createGroup(a, []);
  const unknown = lab.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
  expect((await start('startInventory', { groupIds: [unknown], hostIds: [h1.id] }))?.__typename).toBe(
    'GroupNotFoundError',
  );
  expect(await start('startInventory', { groupIds: [empty] })).toMatchObject({
    __typename: 'InputValidationError',
    message: 'input.hostIds: between 1 and 1000 hosts',
  });
  expect(await activeTasks([h1.id, h2.id])).toBe(0);
  await start('startInventory', { hostIds: [h2.id] });
  expect((await start('startDeploy', { groupIds: [lab], imageId: image.id }))?.__typename).toBe(
    'HostBusyError',
  );
  expect(await activeTasks([h1.id, h2.id])).toBe(1);
});

it("Given the console's port, then marked hosts go in one request: '2 deploys queued'; a busy one refuses them all", async () => {
  const [h1, h2] = [await createHost(a), await createHost(a)];
  const api = createApiClient({ server: a.base, token: a.operator });
  const port = createGraphqlConsolePort(api.client);
  try {
    expect(await port.startInventory([h1.id])).toEqual({ ok: true, message: 'inventory queued' });
    expect((await port.startDeploy([h1.id, h2.id], image.id)).ok).toBe(false);
    expect(await activeTasks([h2.id])).toBe(0);
    await a.t.app.services.tasks.cancelTask(
      (await a.t.app.services.tasks.listTasks({ hostId: rawId(h1.id) }, { offset: 0, limit: 1 }))[0]?.id ??
        '',
    );
    expect(await port.startDeploy([h1.id, h2.id], image.id)).toEqual({
      ok: true,
      message: '2 deploys queued',
    });
    // Scheduled from the console's "when?" picker: the status says for when.
    const h3 = await createHost(a);
    const at = new Date(Date.now() + 3_600_000);
    at.setSeconds(0, 0);
    expect(await port.startDeploy([h3.id], image.id, at.toISOString())).toEqual({
      ok: true,
      message: `deploy queued for ${localMinute(at)}`,
    });
    const [task] = await a.t.app.services.tasks.listTasks({ hostId: rawId(h3.id) }, { offset: 0, limit: 1 });
    expect(task?.scheduledAt?.toISOString()).toBe(at.toISOString());
  } finally {
    api.close();
  }
});
