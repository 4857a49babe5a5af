/**
 * FOG's single scheduled task: a task queued with `scheduledAt` is not handed to its client and
 * does not wake its host before that time; then both happen, once. A time in the past or more than a
 * year ahead is refused and nothing is queued.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { magicPacket } from '../../../server/src/wake/magic-packet.ts';
import {
  checkIn,
  createHost,
  rawId,
  startTransferApp,
  type TransferApp,
  taskState,
  until,
} from '../transfer/transfer-harness.ts';

let a: TransferApp;
let socket: dgram.Socket;
const received: Buffer[] = [];

beforeAll(async () => {
  // The broadcast domain stands as a UDP socket on loopback.
  socket = dgram.createSocket('udp4');
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  a = await startTransferApp({ BRUME_WOL_TARGETS: `127.0.0.1:${socket.address().port}` });
});
afterAll(async () => {
  await a?.close();
  socket?.close();
});

const START_INVENTORY = `mutation($i: StartInventoryInput!) {
  startInventory(input: $i) {
    __typename
    ... on StartInventorySuccess { tasks { id state scheduledAt } }
    ... on InputValidationError { message }
  }
}`;

interface StartResult {
  __typename: string;
  tasks?: { id: string; state: string; scheduledAt: string | null }[];
  message?: string;
}

async function startInventory(hostId: string, scheduledAt: Date) {
  const res = await a.gql<{ startInventory: StartResult }>(START_INVENTORY, {
    token: a.operator,
    variables: { i: { hostIds: [hostId], scheduledAt: scheduledAt.toISOString() } },
  });
  return res.data?.startInventory;
}

const packetsFor = (mac: string) => received.filter((p) => p.equals(magicPacket(mac))).length;

it('Given an inventory scheduled 1.5 s ahead, then before that its client gets no task and its host is not woken; after, both, once', async () => {
  // Given
  const host = await createHost(a);
  const at = new Date(Date.now() + 1500);

  // When
  const started = await startInventory(host.id, at);

  // Then
  expect(started?.tasks?.[0]).toMatchObject({ state: 'QUEUED', scheduledAt: at.toISOString() });
  const taskId = rawId(started?.tasks?.[0]?.id ?? '');
  expect((await checkIn(a, host.mac)).task).toBeNull();
  await new Promise((r) => setTimeout(r, 300));
  expect(packetsFor(host.mac)).toBe(0);

  await until(() => packetsFor(host.mac) > 0, 5000, 'the magic packet');
  expect(Date.now()).toBeGreaterThanOrEqual(at.getTime());
  const due = await checkIn(a, host.mac);
  expect(due.task?.id).toBe(taskId);
  expect(due.token).toMatch(/^brt_/);
  expect((await taskState(a, taskId))?.wokenAt).toBeInstanceOf(Date);
  // Later passes (another task queued) do not wake it again.
  await startInventory((await createHost(a)).id, new Date());
  await new Promise((r) => setTimeout(r, 300));
  expect(packetsFor(host.mac)).toBe(1);
});

it('Given a time in the past or more than a year ahead, then the input is refused and nothing is queued', async () => {
  const host = await createHost(a);
  const past = await startInventory(host.id, new Date(Date.now() - 10 * 60_000));
  const far = await startInventory(host.id, new Date(Date.now() + 400 * 24 * 3_600_000));
  expect(past).toMatchObject({
    __typename: 'InputValidationError',
    message: 'input.scheduledAt: in the past',
  });
  expect(far).toMatchObject({
    __typename: 'InputValidationError',
    message: 'input.scheduledAt: more than a year ahead',
  });
  expect((await checkIn(a, host.mac)).task).toBeNull();
  const now = await startInventory(host.id, new Date(Date.now() - 5000));
  expect(now?.tasks?.[0]).toMatchObject({ state: 'QUEUED', scheduledAt: null });
});
