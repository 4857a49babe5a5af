/**
 * FOG's unicast slots at check-in (PROTOCOL.md, Check-in): past `maxClients` running deploys and
 * captures a client waits in line without a token, the line is served in queue order, a machine
 * that stopped checking in does not hold it up, and tasks that move no image data pass.
 */
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hosts } from '../../../server/src/hosts/hosts-table.ts';
import { createApiClient } from '../../../tui/src/api/graphql-client.ts';
import { createGraphqlConsolePort } from '../../../tui/src/api/graphql-console-port.ts';
import type { TaskRow } from '../../../tui/src/console/console-model.ts';
import { waitForSubscriptions } from '../../tui/support/server-subscriptions.ts';
import {
  blankFile,
  cancelTask,
  checkIn,
  createHost,
  createImage,
  randomDisk,
  rawId,
  runClient,
  seedImage,
  startTransferApp,
  type TransferApp,
  taskState,
  until,
} from './transfer-harness.ts';
import { type CheckIn, type Machine, unicastLine } from './unicast-line-harness.ts';

let a: TransferApp;
let image: { id: string; name: string };
let source: string;
const system = { userId: null };

let line: ReturnType<typeof unicastLine>;

beforeAll(async () => {
  a = await startTransferApp({ BRUME_MAX_CLIENTS: '2' });
  source = path.join(a.work, 'source.img');
  randomDisk(source, 4);
  image = await createImage(a);
  await seedImage(a, image.id, image.name, source);
  line = unicastLine(a, image.id);
});
afterAll(async () => {
  await a?.close();
});
const deploys = (n: number) => line.deploys(n);
const checkInAs = (m: Machine) => line.checkInAs(m);
const endAll = (machines: readonly Machine[]) => line.endAll(machines);

it('Given 2 slots, when 4 machines check in, then 2 get tokens and the others wait in line, in queue order, with no token', async () => {
  const [m1, m2, m3, m4] = (await deploys(4)) as [Machine, Machine, Machine, Machine];
  try {
    expect((await checkInAs(m1)).token).toMatch(/^brt_/);
    expect((await checkInAs(m2)).token).toMatch(/^brt_/);

    const third = await checkInAs(m3);
    expect(third.token).toBeNull();
    expect(third.task).toMatchObject({
      id: m3.task.rawId,
      state: 'QUEUED',
      inLine: { ahead: 0, busy: 2, slots: 2 },
    });
    expect((await checkInAs(m4)).task?.inLine).toEqual({ ahead: 1, busy: 2, slots: 2 });
    expect((await taskState(a, m3.task.rawId))?.state).toBe('QUEUED');

    // A running client that checks in again (a restart) keeps its slot.
    expect((await checkInAs(m1)).token).toMatch(/^brt_/);

    // One slot frees: the fourth machine asks first, but the third was queued before it.
    await cancelTask(a, m1.task.id);
    expect((await checkInAs(m4)).task?.inLine).toEqual({ ahead: 1, busy: 1, slots: 2 });
    expect((await checkInAs(m3)).token).toMatch(/^brt_/);
    expect((await checkInAs(m4)).task?.inLine).toEqual({ ahead: 0, busy: 2, slots: 2 });
    await cancelTask(a, m2.task.id);
    expect((await checkInAs(m4)).token).toMatch(/^brt_/);
  } finally {
    await endAll([m1, m2, m3, m4]);
  }
});

it('Given a machine in line that stopped checking in, then it does not hold up the machines queued after it', async () => {
  const [m1, m2, m3, m4] = (await deploys(4)) as [Machine, Machine, Machine, Machine];
  try {
    await checkInAs(m1);
    await checkInAs(m2);
    expect((await checkInAs(m3)).task?.inLine?.ahead).toBe(0);
    // The third machine was switched off a minute ago.
    await a.t.db.db
      .update(hosts)
      .set({ lastSeenAt: new Date(Date.now() - 60_000) })
      .where(eq(hosts.id, rawId(m3.host.id)));
    await cancelTask(a, m1.task.id);
    expect((await checkInAs(m4)).token).toMatch(/^brt_/);
    expect((await taskState(a, m3.task.rawId))?.state).toBe('QUEUED');
  } finally {
    await endAll([m1, m2, m3, m4]);
  }
});

it('Given every slot taken, then an inventory task still gets its token: it moves no image data', async () => {
  const [m1, m2] = (await deploys(2)) as [Machine, Machine];
  try {
    await checkInAs(m1);
    await checkInAs(m2);
    const other = await createHost(a);
    await a.t.app.services.tasks.startInventory({ hostIds: [rawId(other.id)] }, system);
    const r = (await checkIn(a, other.mac)) as CheckIn;
    expect(r.token).toMatch(/^brt_/);
    expect(r.task?.inLine).toBeUndefined();
  } finally {
    await endAll([m1, m2]);
  }
});

it('Given a MASTER storage node allowing 3, then its maxClients wins over BRUME_MAX_CLIENTS', async () => {
  const node = await a.t.app.services.storage.createStorageNode({
    name: 'master',
    url: 'http://127.0.0.1:1',
    role: 'MASTER',
    maxClients: 3,
  });
  const machines = await deploys(4);
  try {
    const tokens = [];
    for (const m of machines) tokens.push((await checkInAs(m)).token);
    expect(tokens.map((t) => t !== null)).toEqual([true, true, true, false]);
  } finally {
    await endAll(machines);
    await a.t.app.services.storage.deleteStorageNode(node.id);
  }
});

it('Given a client waiting in line, when a slot frees, then it starts by itself and deploys the image', async () => {
  // Given
  const [m1, m2, m3] = (await deploys(3)) as [Machine, Machine, Machine];
  try {
    await checkInAs(m1);
    await checkInAs(m2);
    const target = path.join(a.work, 'in-line.img');
    blankFile(target, fs.statSync(source).size);
    let stderr = '';
    const client = runClient(
      ['--server', a.base, '--disk', target, '--mac', m3.host.mac, '--state-dir', path.join(a.work, 'state')],
      { onStderr: (text) => (stderr += text) },
    );
    await until(
      () => stderr.includes('In line for a unicast slot: 0 before this machine, 2 of 2 slots busy'),
      15_000,
    );
    expect((await taskState(a, m3.task.rawId))?.state).toBe('QUEUED');

    // When
    await cancelTask(a, m1.task.id);

    // Then
    const run = await client.done;
    expect(run.stderr).toContain('a unicast slot is free: starting');
    expect(run.code).toBe(0);
    expect((await taskState(a, m3.task.rawId))?.state).toBe('COMPLETE');
    expect(fs.readFileSync(target).equals(fs.readFileSync(source))).toBe(true);
  } finally {
    await endAll([m1, m2, m3]);
  }
});

it('Given tasks in line, then the API says where each stands, and an IN_LINE event goes out once per change of place', async () => {
  // Given
  const [m1, m2, m3, m4] = (await deploys(4)) as [Machine, Machine, Machine, Machine];
  const events = a.t.app.services.pubsub.subscribe('taskEvents');
  const inLineEvents: string[] = [];
  const reading = (async () => {
    for await (const e of events) if (e.kind === 'IN_LINE') inLineEvents.push(e.task.id);
  })();
  const standing = async (m: Machine) => {
    const res = await a.gql<{ node: { state: string; inLine: unknown } }>(
      'query($id: ID!) { node(id: $id) { ... on Task { state inLine { ahead busy slots } } } }',
      { token: a.operator, variables: { id: m.task.id } },
    );
    return res.data?.node;
  };
  try {
    await checkInAs(m1);
    await checkInAs(m2);

    // When: the third asks twice from the same place, the fourth once.
    await checkInAs(m3);
    await checkInAs(m3);
    await checkInAs(m4);

    // Then
    expect(await standing(m3)).toEqual({ state: 'QUEUED', inLine: { ahead: 0, busy: 2, slots: 2 } });
    expect(await standing(m4)).toEqual({ state: 'QUEUED', inLine: { ahead: 1, busy: 2, slots: 2 } });
    expect(await standing(m1)).toEqual({ state: 'CHECKED_IN', inLine: null });
    await until(() => inLineEvents.length >= 2, 2000);
    expect(inLineEvents).toEqual([m3.task.rawId, m4.task.rawId]);

    // A slot frees: the fourth's place changes (one busy slot fewer), told once more.
    await cancelTask(a, m1.task.id);
    await checkInAs(m4);
    await until(() => inLineEvents.length >= 3, 2000);
    expect(inLineEvents.at(-1)).toBe(m4.task.rawId);
    expect(await standing(m4)).toEqual({ state: 'QUEUED', inLine: { ahead: 1, busy: 1, slots: 2 } });
  } finally {
    await events.return();
    await reading;
    await endAll([m1, m2, m3, m4]);
  }
});

it('Given deploys queued by one request (one creation time), then each waiting machine gets its own place in line', async () => {
  // Given: one slot taken, then three hosts queued together.
  const [m1] = (await deploys(1)) as [Machine];
  await checkInAs(m1);
  const trio = [await createHost(a), await createHost(a), await createHost(a)];
  const res = await a.gql<{ startDeploy: { tasks: { id: string }[] } }>(
    'mutation($i: StartDeployInput!) { startDeploy(input: $i) { ... on StartDeploySuccess { tasks { id } } } }',
    { token: a.operator, variables: { i: { hostIds: trio.map((h) => h.id), imageId: image.id } } },
  );
  const tasks = res.data?.startDeploy.tasks ?? [];
  expect(tasks).toHaveLength(3);
  const machines = trio.map((host, i) => ({
    host,
    task: { id: tasks[i]?.id as string, rawId: rawId(tasks[i]?.id as string) },
  }));
  try {
    // When
    const first = await checkInAs(machines[0] as Machine);
    const places = [];
    for (const m of machines.slice(1)) places.push((await checkInAs(m)).task?.inLine?.ahead);
    // Asked again, now that all three have checked in.
    const again = [];
    for (const m of machines.slice(1)) again.push((await checkInAs(m)).task?.inLine?.ahead);

    // Then: one took the free slot; the two others wait one behind the other.
    expect(first.token).toMatch(/^brt_/);
    expect([...again].sort()).toEqual([0, 1]);
    expect(places.every((p) => p !== undefined)).toBe(true);
  } finally {
    await endAll([m1, ...machines]);
  }
});

it("Given the console's GraphQL port on graphql-ws, then a machine entering the line arrives live with its place, and the task list says it too", async () => {
  // Given
  const [m1, m2, m3] = (await deploys(3)) as [Machine, Machine, Machine];
  const api = createApiClient({ server: a.base, token: a.operator });
  const port = createGraphqlConsolePort(api.client);
  const seen: { kind: string; id: string; inLine: TaskRow['inLine'] }[] = [];
  const stop = port.onTaskEvent(
    (kind, task) => seen.push({ kind, id: task.id, inLine: task.inLine }),
    () => {},
  );
  try {
    await waitForSubscriptions(a.base, 1);
    await checkInAs(m1);
    await checkInAs(m2);

    // When
    await checkInAs(m3);

    // Then
    await until(() => seen.some((e) => e.kind === 'IN_LINE'), 5000);
    expect(seen.find((e) => e.kind === 'IN_LINE')).toEqual({
      kind: 'IN_LINE',
      id: m3.task.id,
      inLine: { ahead: 0, busy: 2, slots: 2 },
    });
    const rows = await port.loadTasks();
    expect(rows.find((r) => r.id === m3.task.id)?.inLine).toEqual({ ahead: 0, busy: 2, slots: 2 });
    expect(rows.find((r) => r.id === m1.task.id)?.inLine).toBeNull();
  } finally {
    stop();
    api.close();
    await endAll([m1, m2, m3]);
  }
});
