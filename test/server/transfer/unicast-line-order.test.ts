/**
 * The operator's hand on the unicast line (`moveTaskToFrontOfLine`): a waiting deploy moved to the
 * front takes the next free slot before the machines queued earlier; the latest move goes first;
 * anything not waiting for a slot is refused with a typed error and nothing changes.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeGlobalID } from '../../../server/src/graphql/global-id.ts';
import { createApiClient } from '../../../tui/src/api/graphql-client.ts';
import { createGraphqlConsolePort } from '../../../tui/src/api/graphql-console-port.ts';
import {
  auditOutcomes,
  cancelTask,
  createHost,
  createImage,
  randomDisk,
  rawId,
  seedImage,
  startTransferApp,
  type TransferApp,
  taskState,
  until,
} from './transfer-harness.ts';
import { type Machine, unicastLine } from './unicast-line-harness.ts';

let a: TransferApp;
let line: ReturnType<typeof unicastLine>;

beforeAll(async () => {
  a = await startTransferApp({ BRUME_MAX_CLIENTS: '2' });
  const source = path.join(a.work, 'source.img');
  randomDisk(source, 2);
  const image = await createImage(a);
  await seedImage(a, image.id, image.name, source);
  line = unicastLine(a, image.id);
});
afterAll(async () => {
  await a?.close();
});

const MOVE = `mutation($id: ID!) {
  moveTaskToFrontOfLine(input: { id: $id }) {
    __typename
    ... on MoveTaskToFrontOfLineSuccess { task { id linePriority inLine { ahead busy slots } } }
    ... on TaskNotInLineError { message state type }
    ... on TaskNotFoundError { message }
  }
}`;

interface MoveResult {
  __typename: string;
  task?: { id: string; linePriority: number; inLine: { ahead: number } | null };
  message?: string;
  state?: string;
  type?: string;
}

async function moveToFront(id: string, token = a.operator) {
  const res = await a.gql<{ moveTaskToFrontOfLine: MoveResult }>(MOVE, { token, variables: { id } });
  return { result: res.data?.moveTaskToFrontOfLine, errors: res.errors };
}

const ahead = async (m: Machine) => (await line.checkInAs(m)).task?.inLine?.ahead;

it('Given 2 busy slots and 3 machines in line, when the operator moves the last to the front, then it takes the next free slot, and the others keep their order behind it', async () => {
  // Given
  const [m1, m2, m3, m4, m5] = (await line.deploys(5)) as [Machine, Machine, Machine, Machine, Machine];
  try {
    await line.checkInAs(m1);
    await line.checkInAs(m2);
    for (const m of [m3, m4, m5]) await line.checkInAs(m);
    expect([await ahead(m3), await ahead(m4), await ahead(m5)]).toEqual([0, 1, 2]);

    // When
    const { result } = await moveToFront(m5.task.id);

    // Then
    expect(result).toMatchObject({
      __typename: 'MoveTaskToFrontOfLineSuccess',
      task: { id: m5.task.id, linePriority: 1, inLine: { ahead: 0 } },
    });
    expect([await ahead(m5), await ahead(m3), await ahead(m4)]).toEqual([0, 1, 2]);
    // A slot frees: the third machine asks first, but the fifth goes.
    await cancelTask(a, m1.task.id);
    expect((await line.checkInAs(m3)).token).toBeNull();
    expect((await line.checkInAs(m5)).token).toMatch(/^brt_/);
    await cancelTask(a, m2.task.id);
    expect((await line.checkInAs(m4)).token).toBeNull();
    expect((await line.checkInAs(m3)).token).toMatch(/^brt_/);
  } finally {
    await line.endAll([m1, m2, m3, m4, m5]);
  }
});

it('Given one task moved to the front, when another is moved after it, then the latest move goes first; moving the front task again changes nothing', async () => {
  // Given
  const [m1, m2, m3, m4] = (await line.deploys(4)) as [Machine, Machine, Machine, Machine];
  try {
    await line.checkInAs(m1);
    await line.checkInAs(m2);
    await line.checkInAs(m3);
    await line.checkInAs(m4);
    const first = (await moveToFront(m4.task.id)).result?.task?.linePriority ?? 0;

    // When
    const second = (await moveToFront(m3.task.id)).result?.task?.linePriority ?? 0;
    const again = (await moveToFront(m3.task.id)).result?.task?.linePriority;

    // Then
    expect(second).toBe(first + 1);
    expect(again).toBe(second);
    expect([await ahead(m3), await ahead(m4)]).toEqual([0, 1]);
  } finally {
    await line.endAll([m1, m2, m3, m4]);
  }
});

it('Given tasks not waiting for a slot (running, ended, an inventory, unknown), then the move is refused with a typed error and nothing changes', async () => {
  // Given
  const [m1, m2] = (await line.deploys(2)) as [Machine, Machine];
  const other = await createHost(a);
  const [inventory] = await a.t.app.services.tasks.startInventory(
    { hostIds: [rawId(other.id)] },
    { userId: null },
  );
  try {
    await line.checkInAs(m1);
    await cancelTask(a, m2.task.id);

    // When
    const running = await moveToFront(m1.task.id);
    const ended = await moveToFront(m2.task.id);
    const noSlot = await moveToFront(encodeGlobalID('Task', inventory?.id ?? ''));
    const unknown = await moveToFront(m1.task.id.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));

    // Then
    expect(running.result).toMatchObject({
      __typename: 'TaskNotInLineError',
      state: 'CHECKED_IN',
      type: 'DEPLOY',
    });
    expect(ended.result).toMatchObject({ __typename: 'TaskNotInLineError', state: 'CANCELLED' });
    expect(noSlot.result).toMatchObject({
      __typename: 'TaskNotInLineError',
      state: 'QUEUED',
      type: 'INVENTORY',
    });
    expect(noSlot.result?.message).toMatch(/takes no unicast slot/);
    expect(unknown.result?.__typename).toBe('TaskNotFoundError');
    for (const id of [m1.task.rawId, m2.task.rawId]) expect((await taskState(a, id))?.linePriority).toBe(0);
    // Each refusal is audited with its code (newest first).
    expect((await auditOutcomes(a, 'moveTaskToFrontOfLine')).slice(0, 4)).toEqual([
      'allowed:TASK_NOT_FOUND',
      'allowed:TASK_NOT_IN_LINE',
      'allowed:TASK_NOT_IN_LINE',
      'allowed:TASK_NOT_IN_LINE',
    ]);
  } finally {
    await line.endAll([m1, m2]);
  }
});

it('Given a viewer, then the move is refused and the task keeps its place; an operator move is told as IN_LINE', async () => {
  // Given
  const [m1, m2, m3, m4] = (await line.deploys(4)) as [Machine, Machine, Machine, Machine];
  const viewer = (await a.t.createUser('VIEWER')).token;
  const events = a.t.app.services.pubsub.subscribe('taskEvents');
  const told: string[] = [];
  const reading = (async () => {
    for await (const e of events) if (e.kind === 'IN_LINE') told.push(e.task.id);
  })();
  try {
    await line.checkInAs(m1);
    await line.checkInAs(m2);
    await line.checkInAs(m3);
    await line.checkInAs(m4);
    await until(() => told.includes(m4.task.rawId), 2000);

    // When
    const refused = await moveToFront(m4.task.id, viewer);
    const afterRefusal = (await taskState(a, m4.task.rawId))?.linePriority;
    const before = told.length;
    await moveToFront(m4.task.id);

    // Then
    expect(refused.result).toBeUndefined();
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(afterRefusal).toBe(0);
    expect(await ahead(m4)).toBe(0);
    await until(() => told.length > before, 2000);
    expect(told.at(-1)).toBe(m4.task.rawId);
  } finally {
    await events.return();
    await reading;
    await line.endAll([m1, m2, m3, m4]);
  }
});

it("Given the console's port, then f on a waiting task moves it, and on a running one the status says why not", async () => {
  const [m1, m2, m3, m4] = (await line.deploys(4)) as [Machine, Machine, Machine, Machine];
  const api = createApiClient({ server: a.base, token: a.operator });
  const port = createGraphqlConsolePort(api.client);
  try {
    for (const m of [m1, m2, m3, m4]) await line.checkInAs(m);
    expect(await port.moveTaskToFrontOfLine(m4.task.id)).toEqual({
      ok: true,
      message: 'moved to the front of the line',
    });
    expect(await ahead(m4)).toBe(0);
    expect(await port.moveTaskToFrontOfLine(m1.task.id)).toEqual({
      ok: false,
      message: 'The task is checked in: only a queued task waits in line',
    });
  } finally {
    api.close();
    await line.endAll([m1, m2, m3, m4]);
  }
});
