import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  checkIn,
  createHost,
  createImage,
  rawId,
  startDeploy,
  type TransferApp,
  until,
} from '../transfer/transfer-harness.ts';
import {
  type MulticastApp,
  startMulticastApp,
  startSession as startSessionFor,
} from './multicast-harness.ts';

let m: MulticastApp;
let a: TransferApp;
let image: { id: string; name: string };
let blockCount = 0;

beforeAll(async () => {
  m = await startMulticastApp(47600, 47609, 4);
  ({ a, image, blockCount } = m);
}, 60_000);
afterAll(() => a?.close());

const startSession = (hostIds: string[]) => startSessionFor(m, hostIds);

describe('GET /multicast/ticket', () => {
  it('Given a checked-in MULTICAST task, then its ticket names the session slot, the blocks and the host as receiver; asked again, the same receiver id', async () => {
    const host = await createHost(a);
    const { session, tasks } = await startSession([host.id]);
    const checked = await checkIn(a, host.mac);
    expect(checked.task?.kind).toBe('MULTICAST');
    const first = await call(a, 'GET', '/multicast/ticket', { token: checked.token, mac: host.mac });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const ticket = first.body.ticket as Record<string, unknown>;
    expect(ticket).toMatchObject({
      group: '239.255.77.1',
      dataPort: 47600,
      controlPort: 47601,
      senderAddress: '127.0.0.1',
      blockCount,
      // BRUME_MULTICAST_DATA_MAC unset: blocks are checked by their hash, DATA carries no MAC.
      dataMac: false,
      receiverId: rawId(host.id).replaceAll('-', ''),
    });
    const again = await call(a, 'GET', '/multicast/ticket', { token: checked.token, mac: host.mac });
    expect((again.body.ticket as Record<string, unknown>).receiverId).toBe(ticket.receiverId);
    expect((again.body.ticket as Record<string, unknown>).receiverKey).toBe(ticket.receiverKey);

    // When the session is cancelled, then the task is cancelled and the ticket is refused.
    await a.gql('mutation($id: ID!) { cancelMulticastSession(input: { id: $id }) { __typename } }', {
      token: a.operator,
      variables: { id: session.id },
    });
    expect((await a.t.app.services.tasks.getTask(rawId(tasks[0]!.id)))?.state).toBe('CANCELLED');
    const refused = await call(a, 'GET', '/multicast/ticket', { token: checked.token, mac: host.mac });
    expect(refused.status).toBe(409);
  }, 60_000);

  it('Given a DEPLOY task token, then the ticket route refuses it as WRONG_TASK_KIND', async () => {
    const host = await createHost(a);
    await startDeploy(a, host.id, image.id);
    const checked = await checkIn(a, host.mac);
    const res = await call(a, 'GET', '/multicast/ticket', { token: checked.token, mac: host.mac });
    expect([res.status, res.body.code]).toEqual([403, 'WRONG_TASK_KIND']);
  });

  it('Given no token, then 401', async () => {
    const res = await call(a, 'GET', '/multicast/ticket');
    expect(res.status).toBe(401);
  });

  it('Given a session whose image version has no manifest, then the ticket request fails the task with the reason', async () => {
    const host = await createHost(a);
    const bare = await createImage(a);
    await a.t.app.services.images.publishImageVersion({
      imageId: rawId(bare.id),
      sizeBytes: 1 << 20,
      storedBytes: 1 << 19,
      blockCount: 1,
      manifestHash: 'c'.repeat(64),
    });
    const res = await a.gql<{ startMulticast: { tasks: { id: string }[] } }>(
      `mutation($i: StartMulticastInput!) { startMulticast(input: $i) { ... on StartMulticastSuccess { tasks { id } } } }`,
      {
        token: a.operator,
        variables: { i: { hostIds: [host.id], imageId: bare.id, minReceivers: 1, maxWaitSeconds: 5 } },
      },
    );
    const taskId = rawId(res.data!.startMulticast.tasks[0]!.id);
    const checked = await checkIn(a, host.mac);
    const refused = await call(a, 'GET', '/multicast/ticket', { token: checked.token, mac: host.mac });
    expect([refused.status, refused.body.code]).toEqual([409, 'TASK_ENDED']);
    await until(
      async () => (await a.t.app.services.tasks.getTask(taskId))?.state === 'FAILED',
      5000,
      'FAILED',
    );
    expect((await a.t.app.services.tasks.getTask(taskId))?.failureReason).toMatch(/image is gone/);
  });

  it('Given a session RUNNING from before a restart (its sender and keys are gone), then the ticket request fails the session and its task with that reason', async () => {
    const host = await createHost(a);
    const { session, tasks } = await startSession([host.id]);
    const { multicastSessions } = await import('../../../server/src/multicast/multicast-table.ts');
    const { eq } = await import('drizzle-orm');
    await a.t.app.database.db
      .update(multicastSessions)
      .set({ state: 'RUNNING', startedAt: new Date() })
      .where(eq(multicastSessions.id, rawId(session.id)));
    const checked = await checkIn(a, host.mac);
    const refused = await call(a, 'GET', '/multicast/ticket', { token: checked.token, mac: host.mac });
    expect([refused.status, refused.body.code]).toEqual([409, 'TASK_ENDED']);
    const row = await a.t.app.services.multicast.getSession(rawId(session.id));
    expect([row?.state, row?.failureReason]).toEqual(['FAILED', 'the server restarted during the session']);
    const task = await a.t.app.services.tasks.getTask(rawId(tasks[0]!.id));
    expect(task?.state).toBe('FAILED');
    expect(task?.failureReason).toMatch(/server restarted/);
  });
});
