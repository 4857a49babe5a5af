/**
 * `Host.online` follows contact: a check-in brings a host online, silence past
 * BRUME_HOST_OFFLINE_SECONDS takes it offline (an OFFLINE host event), and the next contact brings
 * it back.
 */
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HostEvent } from '../../../server/src/hosts/host-events.ts';
import { createHostPresence } from '../../../server/src/hosts/host-presence.ts';
import { plainAddress } from '../../../server/src/hosts/hosts-service.ts';
import { hosts } from '../../../server/src/hosts/hosts-table.ts';
import { startTestApp } from '../../support/app.ts';
import {
  checkIn,
  createHost,
  rawId,
  startTransferApp,
  type TransferApp,
  until,
} from '../transfer/transfer-harness.ts';

let a: TransferApp;
beforeAll(async () => {
  a = await startTransferApp({ BRUME_HOST_OFFLINE_SECONDS: '2' });
});
afterAll(async () => {
  await a?.close();
});

async function online(hostId: string): Promise<boolean | undefined> {
  const res = await a.gql<{ node: { online: boolean } }>(
    'query($id: ID!) { node(id: $id) { ... on Host { online } } }',
    {
      token: a.operator,
      variables: { id: hostId },
    },
  );
  return res.data?.node.online;
}

it('Given a host that checked in, when it stays silent past the window, then it goes offline with an event, and back online at its next contact', async () => {
  // Given
  const host = await createHost(a);
  const events = a.t.app.services.pubsub.subscribe('hostEvents');
  const seen: HostEvent['kind'][] = [];
  const reading = (async () => {
    for await (const e of events) if (e.host.macs.includes(host.mac)) seen.push(e.kind);
  })();
  try {
    expect(await online(host.id)).toBe(false);
    await checkIn(a, host.mac);
    expect(await online(host.id)).toBe(true);
    const address = await a.gql<{ node: { lastAddress: string } }>(
      'query($id: ID!) { node(id: $id) { ... on Host { lastAddress } } }',
      { token: a.operator, variables: { id: host.id } },
    );
    expect(address.data?.node.lastAddress).toBe('127.0.0.1');

    // When: silence, longer than two seconds
    await until(async () => (await online(host.id)) === false, 8000, 'offline');

    // Then
    await until(() => seen.includes('OFFLINE'), 2000, 'the OFFLINE event');
    await checkIn(a, host.mac);
    expect(await online(host.id)).toBe(true);
    await until(() => seen.filter((k) => k === 'ONLINE').length === 2, 2000, 'the second ONLINE event');
    expect(seen).toEqual(['ONLINE', 'OFFLINE', 'ONLINE']);
  } finally {
    await events.return();
    await reading;
  }
});

it('Given a host whose client runs a task (it talks to the data plane, not to check-in), then it stays online past the window, and goes offline once the task ended', async () => {
  // Given: an inventory checked in by its client, which then works silently
  const host = await createHost(a);
  await a.t.app.services.tasks.startInventory({ hostIds: [rawId(host.id)] }, { userId: null });
  expect((await checkIn(a, host.mac)).token).toMatch(/^brt_/);

  // When: silence, longer than the window
  await new Promise((r) => setTimeout(r, 3000));

  // Then
  expect(await online(host.id)).toBe(true);
  const [task] = await a.t.app.services.tasks.listTasks({ hostId: rawId(host.id) }, { offset: 0, limit: 1 });
  await a.t.app.services.tasks.cancelTask(task?.id ?? '');
  await until(async () => (await online(host.id)) === false, 5000, 'offline after the task');
});

it('Given a host checking in within the window, then it stays online', async () => {
  const host = await createHost(a);
  for (let i = 0; i < 6; i++) {
    await checkIn(a, host.mac);
    await new Promise((r) => setTimeout(r, 300));
    expect(await online(host.id)).toBe(true);
  }
});

it('Given hosts left online by a previous run, when the sweep starts, then the silent ones go offline at once, not a period later', async () => {
  // Given: a server not started (its own sweep not running), a host seen two minutes ago and
  // still flagged online
  const t = await startTestApp();
  const host = await t.app.services.hosts.createHost({ name: 'left-online', macs: ['52:54:00:cc:00:01'] });
  await t.db.db
    .update(hosts)
    .set({ online: true, lastSeenAt: new Date(Date.now() - 120_000) })
    .where(eq(hosts.id, host.id));
  // A one-minute window sweeps every 6 s.
  const presence = createHostPresence({
    hosts: t.app.services.hosts,
    log: pino({ level: 'silent' }),
    now: () => new Date(),
    offlineAfterMs: 60_000,
  });
  const isOnline = async () => (await t.app.services.hosts.getHost(host.id))?.online;

  // When
  presence.start();

  // Then
  try {
    await until(async () => (await isOnline()) === false, 2000, 'offline at start');
  } finally {
    presence.stop();
    await t.close();
  }
});

it('Given the addresses sockets report, then a host keeps the plain one', () => {
  expect(plainAddress('::ffff:10.0.0.5')).toBe('10.0.0.5');
  expect(plainAddress('2001:db8::7')).toBe('2001:db8::7');
  expect(plainAddress('')).toBeNull();
  expect(plainAddress(null)).toBeNull();
  expect(plainAddress('x'.repeat(65))).toBeNull();
});
