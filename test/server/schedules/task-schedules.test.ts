/**
 * FOG's cron-style scheduled tasks through the API: a schedule says when in its own time zone, a
 * run queues one task per host (a busy host is named, the others go), a run missed by more than
 * ten minutes is skipped and says so, the timer fires on its own, and bad input is refused whole.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { taskSchedules } from '../../../server/src/schedules/schedules-table.ts';
import { createApiClient } from '../../../tui/src/api/graphql-client.ts';
import { createGraphqlConsolePort } from '../../../tui/src/api/graphql-console-port.ts';
import {
  createGroup,
  createHost,
  rawId,
  startAppWithImage,
  type TransferApp,
  until,
} from '../transfer/transfer-harness.ts';

let a: TransferApp;
let image: { id: string; name: string };

beforeAll(async () => {
  ({ app: a, image } = await startAppWithImage(2));
});
afterAll(async () => {
  await a?.close();
});

const SCHEDULE =
  'id name cron timezone type enabled nextRunAt lastRunAt lastOutcome hosts { id } group { id } image { id }';
interface Schedule {
  id: string;
  timezone: string;
  enabled: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastOutcome: string | null;
  hosts: { id: string }[];
  group: { id: string } | null;
}
interface Payload {
  __typename: string;
  schedule?: Schedule;
  message?: string;
  issues?: { path: string; message: string }[];
}

async function createSchedule(input: Record<string, unknown>, token = a.operator) {
  const res = await a.gql<{ createTaskSchedule: Payload }>(
    `mutation($i: CreateTaskScheduleInput!) { createTaskSchedule(input: $i) { __typename
      ... on CreateTaskScheduleSuccess { schedule { ${SCHEDULE} } }
      ... on InputValidationError { message issues { path message } }
      ... on Error { message } } }`,
    { token, variables: { i: input } },
  );
  return { payload: res.data?.createTaskSchedule, errors: res.errors };
}

async function schedule(id: string): Promise<Schedule | undefined> {
  const res = await a.gql<{ node: Schedule }>(
    `query($id: ID!) { node(id: $id) { ... on TaskSchedule { ${SCHEDULE} } } }`,
    {
      token: a.operator,
      variables: { id },
    },
  );
  return res.data?.node;
}

async function tasksOf(hostId: string): Promise<{ type: string; state: string }[]> {
  const res = await a.gql<{ tasks: { edges: { node: { type: string; state: string } }[] } }>(
    'query($h: ID!) { tasks(first: 10, hostId: $h) { edges { node { type state } } } }',
    { token: a.operator, variables: { h: hostId } },
  );
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.tasks.edges.map((e) => e.node);
}

/** Moves the schedule's next run to `at`, as if the clock had moved on. */
const dueAt = (scheduleId: string, at: Date) =>
  a.t.db.db
    .update(taskSchedules)
    .set({ nextRunAt: at })
    .where(eq(taskSchedules.id, rawId(scheduleId)));

it('Given weekdays at 2 a.m. in Paris, then the next run is a weekday at 02:00 Paris time, in the next four days', async () => {
  const host = await createHost(a);
  const { payload } = await createSchedule({
    name: 'nightly inventory',
    cron: '0 2 * * 1-5',
    timezone: 'Europe/Paris',
    type: 'INVENTORY',
    hostIds: [host.id],
  });
  expect(payload?.__typename).toBe('CreateTaskScheduleSuccess');
  const next = new Date(payload?.schedule?.nextRunAt ?? '');
  const paris = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Paris',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(next);
  expect(paris).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 02:00$/);
  expect(next.getTime()).toBeGreaterThan(Date.now());
  expect(next.getTime() - Date.now()).toBeLessThan(4 * 24 * 3_600_000);
});

it('Given a deploy scheduled on a group of three, one of them busy, when it runs, then the two others get their deploy, the busy one is named, and the next run moves on', async () => {
  // Given
  const [h1, h2, h3] = [await createHost(a), await createHost(a), await createHost(a)];
  await a.t.app.services.tasks.startInventory({ hostIds: [rawId(h2.id)] }, { userId: null });
  const groupId = await createGroup(a, [h1.id, h2.id, h3.id]);
  const { payload } = await createSchedule({
    name: 'lab redeploy',
    cron: '30 3 * * *',
    type: 'DEPLOY',
    groupId,
    imageId: image.id,
  });
  const id = payload?.schedule?.id as string;
  expect(payload?.schedule).toMatchObject({ group: { id: groupId }, hosts: [], enabled: true });

  // When: its time has come
  await dueAt(id, new Date(Date.now() - 1000));
  expect(await a.t.app.services.schedules.runDue()).toBe(1);

  // Then
  for (const h of [h1, h3]) expect(await tasksOf(h.id)).toEqual([{ type: 'DEPLOY', state: 'QUEUED' }]);
  expect(await tasksOf(h2.id)).toEqual([{ type: 'INVENTORY', state: 'QUEUED' }]);
  const after = await schedule(id);
  expect(after?.lastOutcome).toMatch(/^queued 2 of 3 tasks; h[\d-]+: This host already has an active task$/);
  expect(new Date(after?.lastRunAt ?? 0).getTime()).toBeGreaterThan(Date.now() - 10_000);
  expect(new Date(after?.nextRunAt ?? 0).getTime()).toBeGreaterThan(Date.now());
  expect(await a.t.app.services.schedules.runDue()).toBe(0);
  const [audited] = await a.t.app.services.audit.list({ action: 'schedule.run' }, { offset: 0, limit: 1 });
  expect(audited).toMatchObject({
    actorName: 'scheduler',
    outcome: after?.lastOutcome,
    targetIds: [rawId(id)],
  });
});

it('Given a run missed by an hour (the server was down), then it is skipped, says so, and queues nothing', async () => {
  const host = await createHost(a);
  const { payload } = await createSchedule({
    name: 'nightly wipe',
    cron: '0 1 * * *',
    type: 'FAST_WIPE',
    hostIds: [host.id],
  });
  const id = payload?.schedule?.id as string;
  const missed = new Date(Date.now() - 3_600_000);
  await dueAt(id, missed);
  await a.t.app.services.schedules.runDue();
  const after = await schedule(id);
  expect(after?.lastOutcome).toBe(
    `skipped the run due at ${missed.toISOString()}: the server was not running then`,
  );
  expect(after?.lastRunAt).toBeNull();
  expect(await tasksOf(host.id)).toEqual([]);
  expect(new Date(after?.nextRunAt ?? 0).getTime()).toBeGreaterThan(Date.now());
});

it('Given a schedule due in half a second, then the timer runs it without being asked', async () => {
  const host = await createHost(a);
  const { payload } = await createSchedule({
    name: 'soon',
    cron: '@daily',
    type: 'INVENTORY',
    hostIds: [host.id],
  });
  await dueAt(payload?.schedule?.id as string, new Date(Date.now() + 500));
  await a.t.app.services.schedules.start();
  await until(async () => (await tasksOf(host.id)).length > 0, 5000, 'the scheduled task');
  expect(await tasksOf(host.id)).toEqual([{ type: 'INVENTORY', state: 'QUEUED' }]);
});

it('Given a disabled schedule, then it has no next run and does not run; enabled again, it aims at the next time; deleted, its tasks stay', async () => {
  const host = await createHost(a);
  const { payload } = await createSchedule({
    name: 'weekly',
    cron: '@weekly',
    type: 'INVENTORY',
    hostIds: [host.id],
  });
  const id = payload?.schedule?.id as string;
  const set = async (enabled: boolean) =>
    (
      await a.gql<{ setTaskScheduleEnabled: { schedule: Schedule } }>(
        `mutation($id: ID!, $e: Boolean!) { setTaskScheduleEnabled(input: { id: $id, enabled: $e }) { ... on SetTaskScheduleEnabledSuccess { schedule { ${SCHEDULE} } } } }`,
        { token: a.operator, variables: { id, e: enabled } },
      )
    ).data?.setTaskScheduleEnabled.schedule;
  expect(await set(false)).toMatchObject({ enabled: false, nextRunAt: null });
  await a.t.app.services.schedules.runDue();
  expect(await tasksOf(host.id)).toEqual([]);
  expect((await set(true))?.nextRunAt).not.toBeNull();

  await dueAt(id, new Date(Date.now() - 1000));
  await a.t.app.services.schedules.runDue();
  const res = await a.gql<{ deleteTaskSchedule: { __typename: string } }>(
    'mutation($id: ID!) { deleteTaskSchedule(input: { id: $id }) { __typename } }',
    { token: a.operator, variables: { id } },
  );
  expect(res.data?.deleteTaskSchedule.__typename).toBe('DeleteTaskScheduleSuccess');
  expect(await schedule(id)).toBeNull();
  expect(await tasksOf(host.id)).toEqual([{ type: 'INVENTORY', state: 'QUEUED' }]);
});

it('Given bad input, then each problem is named and nothing is created; an unknown host or a viewer is refused', async () => {
  const host = await createHost(a);
  const other = await createHost(a);
  const count = async () => a.t.app.services.schedules.countSchedules();
  const before = await count();
  const refusals = [
    [{ cron: '0 0 2 * * *' }, 'input.cron'],
    [{ cron: '61 * * * *' }, 'input.cron'],
    [{ cron: '0 0 30 2 *' }, 'input.cron'],
    [{ timezone: 'Mars/Olympus' }, 'input.timezone'],
    [{ name: ' ' }, 'input.name'],
    [{ type: 'MULTICAST' }, 'input.type'],
    [{ type: 'DEBUG' }, 'input.type'],
    [{ type: 'DEPLOY' }, 'input.imageId'],
    [{ imageId: image.id }, 'input.imageId'],
    [{ hostIds: [] }, 'input.hostIds'],
    [{ type: 'CAPTURE', imageId: image.id, hostIds: [host.id, other.id] }, 'input.hostIds'],
  ] as const;
  for (const [change, field] of refusals) {
    const { payload } = await createSchedule({
      name: 'bad',
      cron: '@daily',
      type: 'INVENTORY',
      hostIds: [host.id],
      ...change,
    });
    expect(payload?.__typename, JSON.stringify(change)).toBe('InputValidationError');
    expect(
      payload?.issues?.map((i) => i.path),
      JSON.stringify(change),
    ).toContain(field);
  }
  const gone = await createSchedule({
    name: 'x',
    cron: '@daily',
    type: 'INVENTORY',
    hostIds: [host.id.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))],
  });
  expect(gone.payload?.__typename).toBe('HostNotFoundError');
  const viewer = (await a.t.createUser('VIEWER')).token;
  const refused = await createSchedule(
    { name: 'x', cron: '@daily', type: 'INVENTORY', hostIds: [host.id] },
    viewer,
  );
  expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  expect(await count()).toBe(before);
});

it("Given the console's port, then it lists the schedules with their targets, and disables and deletes them", async () => {
  const host = await createHost(a);
  const groupId = await createGroup(a, [host.id]);
  const { payload } = await createSchedule({
    name: 'console',
    cron: '@daily',
    type: 'DEPLOY',
    groupId,
    imageId: image.id,
  });
  const id = payload?.schedule?.id as string;
  const api = createApiClient({ server: a.base, token: a.operator });
  const port = createGraphqlConsolePort(api.client);
  try {
    const row = (await port.loadSchedules()).find((s) => s.id === id);
    expect(row).toMatchObject({ name: 'console', type: 'DEPLOY', imageName: image.name, enabled: true });
    expect(row?.targets).toMatch(/^group lab-\d+$/);
    expect(await port.setScheduleEnabled(id, false)).toEqual({ ok: true, message: 'console disabled' });
    expect((await port.loadSchedules()).find((s) => s.id === id)).toMatchObject({
      enabled: false,
      nextRunAt: null,
    });
    expect(await port.runScheduleNow(id)).toEqual({ ok: true, message: 'console: queued 1 of 1 tasks' });
    expect(await port.deleteSchedule(id)).toEqual({ ok: true, message: 'console deleted' });
    expect(await port.deleteSchedule(id)).toEqual({ ok: false, message: 'No such task schedule' });
  } finally {
    api.close();
  }
});

it('Given a disabled schedule, when an operator runs it now, then its tasks are queued, the run is audited, and it stays disabled', async () => {
  const host = await createHost(a);
  const { payload } = await createSchedule({
    name: 'by hand',
    cron: '@weekly',
    type: 'INVENTORY',
    hostIds: [host.id],
    enabled: false,
  });
  const id = payload?.schedule?.id as string;
  const res = await a.gql<{ runTaskScheduleNow: Payload }>(
    `mutation($id: ID!) { runTaskScheduleNow(input: { id: $id }) { __typename ... on RunTaskScheduleNowSuccess { schedule { ${SCHEDULE} } } } }`,
    { token: a.operator, variables: { id } },
  );
  expect(res.data?.runTaskScheduleNow.schedule).toMatchObject({
    enabled: false,
    nextRunAt: null,
    lastOutcome: 'queued 1 of 1 tasks',
  });
  expect(await tasksOf(host.id)).toEqual([{ type: 'INVENTORY', state: 'QUEUED' }]);
  const [audited] = await a.t.app.services.audit.list({ action: 'schedule.runNow' }, { offset: 0, limit: 1 });
  expect(audited).toMatchObject({ actorName: 'scheduler', outcome: 'queued 1 of 1 tasks' });
});

it('Given a schedule, when it is updated, then what is given changes and is checked whole: a bad change is refused and nothing changes', async () => {
  const [h1, h2] = [await createHost(a), await createHost(a)];
  const { payload } = await createSchedule({
    name: 'change me',
    cron: '0 2 * * *',
    timezone: 'UTC',
    type: 'DEPLOY',
    hostIds: [h1.id],
    imageId: image.id,
  });
  const id = payload?.schedule?.id as string;
  const update = async (input: Record<string, unknown>) =>
    (
      await a.gql<{ updateTaskSchedule: Payload }>(
        `mutation($i: UpdateTaskScheduleInput!) { updateTaskSchedule(input: $i) { __typename
          ... on UpdateTaskScheduleSuccess { schedule { ${SCHEDULE} } }
          ... on InputValidationError { message issues { path message } } } }`,
        { token: a.operator, variables: { i: { id, ...input } } },
      )
    ).data?.updateTaskSchedule;

  const moved = await update({ cron: '30 4 * * *', hostIds: [h2.id] });
  expect(moved?.schedule?.hosts).toEqual([{ id: h2.id }]);
  expect(new Date(moved?.schedule?.nextRunAt ?? 0).toISOString()).toMatch(/T04:30:00\.000Z$/);

  const refused = await update({ type: 'INVENTORY' });
  expect(refused?.__typename).toBe('InputValidationError');
  expect(refused?.issues?.map((i) => i.path)).toEqual(['input.imageId']);
  expect((await schedule(id))?.hosts).toEqual([{ id: h2.id }]);

  const inventory = await update({ type: 'INVENTORY', imageId: null, name: 'now an inventory' });
  expect(inventory?.schedule).toMatchObject({
    name: 'now an inventory',
    image: null,
    hosts: [{ id: h2.id }],
  });
});
