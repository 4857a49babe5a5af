import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { gid, makeHost, makeImage, system } from '../tasks/task-fixtures.ts';

let t: TestApp;
let operator: string;
let viewer: string;
const snapshot = () => t.db.snapshot({ exclude: ['audit_entries', 'api_tokens', 'users'] });

beforeAll(async () => {
  t = await startTestApp();
  operator = (await t.createUser('OPERATOR')).token;
  viewer = (await t.createUser('VIEWER')).token;
});
afterAll(() => t.close());

const START = `mutation($input: StartMulticastInput!) { startMulticast(input: $input) { __typename
  ... on StartMulticastSuccess { session { id name state minReceivers expectedReceivers receivers { state host { name } task { id } } } tasks { id type state } }
  ... on InputValidationError { issues { path } } ... on Error { message } } }`;
const CREATE = `mutation($input: CreateMulticastSessionInput!) { createMulticastSession(input: $input) { __typename
  ... on CreateMulticastSessionSuccess { session { id name state } } ... on Error { message } } }`;

type Start = {
  __typename: string;
  session?: { id: string; name: string; receivers: { state: string; task: { id: string } }[] };
  tasks?: { id: string; type: string; state: string }[];
};

async function start(input: Record<string, unknown>): Promise<Start> {
  const res = await t.gql<{ startMulticast: Start }>(START, { variables: { input }, token: operator });
  expect(res.errors).toBeUndefined();
  return res.data!.startMulticast;
}

describe('startMulticast', () => {
  it('Given three hosts and a versioned image, then one session and three MULTICAST tasks, one receiver each', async () => {
    const hosts = [await makeHost(t, 'MC'), await makeHost(t, 'MC'), await makeHost(t, 'MC')];
    const image = await makeImage(t, { withVersion: true });
    const result = await start({
      hostIds: hosts.map((h) => gid('Host', h.id)),
      imageId: gid('Image', image.id),
      minReceivers: 2,
      maxWaitSeconds: 600,
      rateLimitBytesPerSecond: 100_000_000,
    });
    expect(result.__typename).toBe('StartMulticastSuccess');
    expect(result.tasks?.map((task) => [task.type, task.state])).toEqual(
      Array(3).fill(['MULTICAST', 'QUEUED']),
    );
    expect(result.session?.name).toMatch(/^mc-\d{14}-[0-9a-f]{4}$/);
    expect(result.session?.receivers.map((r) => r.state)).toEqual(['EXPECTED', 'EXPECTED', 'EXPECTED']);
  });

  it('Given bad settings, a busy host or an image without version, then typed errors and nothing changes', async () => {
    const [a, b] = [await makeHost(t, 'MC'), await makeHost(t, 'MC')];
    const image = await makeImage(t, { withVersion: true });
    const bare = await makeImage(t);
    await t.app.services.tasks.startInventory({ hostIds: [b.id] }, system);
    const base = {
      hostIds: [gid('Host', a.id)],
      imageId: gid('Image', image.id),
      minReceivers: 1,
      maxWaitSeconds: 60,
    };
    const before = await snapshot();
    expect((await start({ ...base, minReceivers: 2 })).__typename).toBe('InputValidationError');
    expect((await start({ ...base, maxWaitSeconds: -1 })).__typename).toBe('InputValidationError');
    expect((await start({ ...base, name: '../../etc' })).__typename).toBe('InvalidSessionNameError');
    expect((await start({ ...base, imageId: gid('Image', bare.id) })).__typename).toBe(
      'ImageHasNoVersionError',
    );
    expect(
      (await start({ ...base, hostIds: [gid('Host', a.id), gid('Host', b.id)], minReceivers: 1 })).__typename,
    ).toBe('HostBusyError');
    expect(await snapshot()).toEqual(before);
  });
});

describe('sessions joined by name', () => {
  it('Given an open session name, then a second open session with that name is refused; after cancel it is free', async () => {
    const image = await makeImage(t, { withVersion: true });
    const input = { name: 'salle-12', imageId: gid('Image', image.id), minReceivers: 5, maxWaitSeconds: 300 };
    const first = await t.gql<{ createMulticastSession: { __typename: string; session: { id: string } } }>(
      CREATE,
      {
        variables: { input },
        token: operator,
      },
    );
    expect(first.data?.createMulticastSession.__typename).toBe('CreateMulticastSessionSuccess');
    const dup = await t.gql<{ createMulticastSession: { __typename: string } }>(CREATE, {
      variables: { input: { ...input, name: 'SALLE-12' } },
      token: operator,
    });
    expect(dup.data?.createMulticastSession.__typename).toBe('DuplicateSessionNameError');
    const id = first.data!.createMulticastSession.session.id;
    const cancel = `mutation($id: ID!) { cancelMulticastSession(input: { id: $id }) { __typename
      ... on CancelMulticastSessionSuccess { session { state } } ... on MulticastSessionFinishedError { state } } }`;
    const cancelled = await t.gql<{ cancelMulticastSession: { __typename: string } }>(cancel, {
      variables: { id },
      token: operator,
    });
    expect(cancelled.data?.cancelMulticastSession).toEqual({
      __typename: 'CancelMulticastSessionSuccess',
      session: { state: 'CANCELLED' },
    });
    const again = await t.gql<{ cancelMulticastSession: { __typename: string } }>(cancel, {
      variables: { id },
      token: operator,
    });
    expect(again.data?.cancelMulticastSession).toEqual({
      __typename: 'MulticastSessionFinishedError',
      state: 'CANCELLED',
    });
    const reuse = await t.gql<{ createMulticastSession: { __typename: string } }>(CREATE, {
      variables: { input },
      token: operator,
    });
    expect(reuse.data?.createMulticastSession.__typename).toBe('CreateMulticastSessionSuccess');
  });

  it('Given a started session, when cancelled, then its queued tasks are cancelled too; node(id) and the connection show it', async () => {
    const host = await makeHost(t, 'MC');
    const image = await makeImage(t, { withVersion: true });
    const result = await start({
      hostIds: [gid('Host', host.id)],
      imageId: gid('Image', image.id),
      minReceivers: 1,
      maxWaitSeconds: 0,
    });
    const sessionId = result.session!.id;
    await t.gql('mutation($id: ID!) { cancelMulticastSession(input: { id: $id }) { __typename } }', {
      variables: { id: sessionId },
      token: operator,
    });
    const node = await t.gql<{
      node: { state: string; receivers: { state: string; task: { state: string } }[] };
    }>(
      'query($id: ID!) { node(id: $id) { ... on MulticastSession { state receivers { state task { state } } } } }',
      { variables: { id: sessionId }, token: viewer },
    );
    expect(node.data?.node).toEqual({
      state: 'CANCELLED',
      receivers: [{ state: 'CANCELLED', task: { state: 'CANCELLED' } }],
    });
    const list = await t.gql<{ multicastSessions: { totalCount: number } }>(
      '{ multicastSessions(first: 1) { totalCount } }',
      {
        token: viewer,
      },
    );
    expect(list.data?.multicastSessions.totalCount).toBeGreaterThanOrEqual(2);
  });
});
