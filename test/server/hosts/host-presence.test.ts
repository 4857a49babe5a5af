/**
 * `Host.online` follows contact: a check-in brings a host online, silence past
 * BRUME_HOST_OFFLINE_SECONDS takes it offline (an OFFLINE host event), and the next contact brings
 * it back.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HostEvent } from '../../../server/src/hosts/host-events.ts';
import {
  checkIn,
  createHost,
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

it('Given a host checking in within the window, then it stays online', async () => {
  const host = await createHost(a);
  for (let i = 0; i < 6; i++) {
    await checkIn(a, host.mac);
    await new Promise((r) => setTimeout(r, 300));
    expect(await online(host.id)).toBe(true);
  }
});
