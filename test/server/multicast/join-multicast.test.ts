import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { gid, makeHost, makeImage, system } from '../tasks/task-fixtures.ts';

let t: TestApp;
let operator: string;
let viewer: string;

beforeAll(async () => {
  t = await startTestApp({ BRUME_MULTICAST_LATE_JOIN_SECONDS: '60' });
  operator = (await t.createUser('OPERATOR')).token;
  viewer = (await t.createUser('VIEWER')).token;
});
afterAll(() => t.close());

const JOIN = `mutation($input: JoinMulticastSessionInput!) { joinMulticastSession(input: $input) { __typename
  ... on JoinMulticastSessionSuccess { session { id name state receivers { state host { id } task { id } } } task { id type state host { id } } }
  ... on MulticastSessionFinishedError { state message } ... on Error { message } } }`;

type Join = {
  __typename: string;
  message?: string;
  state?: string;
  session?: {
    id: string;
    name: string;
    receivers: { state: string; host: { id: string }; task: { id: string } }[];
  };
  task?: { id: string; type: string; state: string; host: { id: string } };
};

async function join(sessionName: string, hostId: string, token = operator) {
  const res = await t.gql<{ joinMulticastSession: Join }>(JOIN, {
    variables: { input: { sessionName, hostId } },
    token,
  });
  return res;
}

async function namedSession(name: string) {
  const image = await makeImage(t, { withVersion: true });
  return t.app.services.multicast.createMulticastSession(
    { name, imageId: image.id, minReceivers: 2, maxWaitSeconds: 300 },
    system,
  );
}

describe('joinMulticastSession', () => {
  it('Given a waiting named session, when a host joins by name in another case, then it gets a QUEUED MULTICAST task and a receiver row', async () => {
    const session = await namedSession('labo-7');
    const host = await makeHost(t, 'JOIN');
    const res = await join('LABO-7', gid('Host', host.id));
    expect(res.errors).toBeUndefined();
    const out = res.data!.joinMulticastSession;
    expect(out.__typename).toBe('JoinMulticastSessionSuccess');
    expect(out.session?.id).toBe(gid('MulticastSession', session.id));
    expect(out.task).toMatchObject({
      type: 'MULTICAST',
      state: 'QUEUED',
      host: { id: gid('Host', host.id) },
    });
    expect(out.session?.receivers).toEqual([
      { state: 'EXPECTED', host: { id: gid('Host', host.id) }, task: { id: out.task!.id } },
    ]);
  });

  it('Given no session of that name, a junk name, or a cancelled one, then typed errors and no task', async () => {
    const host = await makeHost(t, 'JOIN');
    expect((await join('nobody-here', gid('Host', host.id))).data?.joinMulticastSession.__typename).toBe(
      'MulticastSessionNotFoundError',
    );
    expect((await join('../etc/passwd', gid('Host', host.id))).data?.joinMulticastSession.__typename).toBe(
      'MulticastSessionNotFoundError',
    );
    const gone = await namedSession('closed-room');
    await t.app.services.multicast.cancelMulticastSession(gone.id);
    const res = (await join('closed-room', gid('Host', host.id))).data?.joinMulticastSession;
    expect(res).toMatchObject({ __typename: 'MulticastSessionFinishedError', state: 'CANCELLED' });
    expect(await t.app.services.tasks.countTasks({ hostId: host.id })).toBe(0);
  });

  it('Given an unknown, pending or busy host, then HostNotFound, HostPending and HostBusy errors', async () => {
    await namedSession('hall-b');
    const unknown = gid('Host', '00000000-0000-4000-8000-000000000000');
    expect((await join('hall-b', unknown)).data?.joinMulticastSession.__typename).toBe('HostNotFoundError');
    const pending = await t.app.services.hosts.registerHost({ macs: ['52:54:02:00:00:01'] });
    expect((await join('hall-b', gid('Host', pending.id))).data?.joinMulticastSession.__typename).toBe(
      'HostPendingError',
    );
    const busy = await makeHost(t, 'JOIN');
    expect((await join('hall-b', gid('Host', busy.id))).data?.joinMulticastSession.__typename).toBe(
      'JoinMulticastSessionSuccess',
    );
    expect((await join('hall-b', gid('Host', busy.id))).data?.joinMulticastSession.__typename).toBe(
      'HostBusyError',
    );
  });

  it('Given a session running longer than the late-join bound, then MulticastSessionFinishedError; within it, the join works', async () => {
    const session = await namedSession('late-room');
    const { multicastSessions } = await import('../../../server/src/multicast/multicast-table.ts');
    const { eq } = await import('drizzle-orm');
    const setStarted = (msAgo: number) =>
      t.app.database.db
        .update(multicastSessions)
        .set({ state: 'RUNNING', startedAt: new Date(Date.now() - msAgo) })
        .where(eq(multicastSessions.id, session.id));
    await setStarted(120_000);
    const late = await makeHost(t, 'JOIN');
    const refused = (await join('late-room', gid('Host', late.id))).data?.joinMulticastSession;
    expect(refused).toMatchObject({ __typename: 'MulticastSessionFinishedError', state: 'RUNNING' });
    expect(refused?.message).toMatch(/late-join bound/);
    await setStarted(10_000);
    expect((await join('late-room', gid('Host', late.id))).data?.joinMulticastSession.__typename).toBe(
      'JoinMulticastSessionSuccess',
    );
  });

  it('Given a viewer token, then FORBIDDEN and no task', async () => {
    await namedSession('viewer-room');
    const host = await makeHost(t, 'JOIN');
    const res = await join('viewer-room', gid('Host', host.id), viewer);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await t.app.services.tasks.countTasks({ hostId: host.id })).toBe(0);
  });
});
