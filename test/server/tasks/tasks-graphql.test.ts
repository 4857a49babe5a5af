import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostBusyError } from '../../../server/src/hosts/host-errors.ts';
import { tasks } from '../../../server/src/tasks/tasks-table.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { gid, makeHost, makeImage, system } from './task-fixtures.ts';

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

type Payload = {
  __typename: string;
  task?: { id: string; state: string; type: string };
  tasks?: { id: string }[];
} & Record<string, unknown>;

const CAPTURE = `mutation($input: StartCaptureInput!) { startCapture(input: $input) { __typename
  ... on StartCaptureSuccess { task { id state type fogTypeId host { id } image { id } } }
  ... on Error { message } } }`;
const DEPLOY = `mutation($input: StartDeployInput!) { startDeploy(input: $input) { __typename
  ... on StartDeploySuccess { tasks { id state imageVersion { number } } } ... on Error { message } } }`;
const CANCEL = `mutation($id: ID!) { cancelTask(input: { id: $id }) { __typename
  ... on CancelTaskSuccess { task { state failureReason } } ... on TaskAlreadyFinalError { state } } }`;

async function capture(hostId: string, imageId: string, token = operator): Promise<Payload> {
  const res = await t.gql<{ startCapture: Payload }>(CAPTURE, {
    variables: { input: { hostId: gid('Host', hostId), imageId: gid('Image', imageId) } },
    token,
  });
  expect(res.errors).toBeUndefined();
  return res.data!.startCapture;
}

async function deploy(hostIds: string[], imageId: string): Promise<Payload> {
  const res = await t.gql<{ startDeploy: Payload }>(DEPLOY, {
    variables: { input: { hostIds: hostIds.map((h) => gid('Host', h)), imageId: gid('Image', imageId) } },
    token: operator,
  });
  expect(res.errors).toBeUndefined();
  return res.data!.startDeploy;
}

describe('startCapture', () => {
  it('Given an approved host and an image, then a QUEUED CAPTURE task (FOG type 2)', async () => {
    const host = await makeHost(t);
    const image = await makeImage(t);
    const result = await capture(host.id, image.id);
    expect(result).toMatchObject({
      __typename: 'StartCaptureSuccess',
      task: { state: 'QUEUED', type: 'CAPTURE', fogTypeId: 2 },
    });
  });

  it('Given a host with an active task, then HostBusyError and nothing changes', async () => {
    const host = await makeHost(t);
    await capture(host.id, (await makeImage(t)).id);
    const other = await makeImage(t);
    const before = await snapshot();
    expect((await capture(host.id, other.id)).__typename).toBe('HostBusyError');
    expect(await snapshot()).toEqual(before);
  });

  it('Given two concurrent startCapture calls for one host, then exactly one task is created', async () => {
    const host = await makeHost(t);
    const [a, b] = [await makeImage(t), await makeImage(t)];
    const results = await Promise.all([capture(host.id, a.id), capture(host.id, b.id)]);
    expect(results.map((r) => r.__typename).sort()).toEqual(['HostBusyError', 'StartCaptureSuccess']);
    expect(await t.app.services.tasks.countTasks({ hostId: host.id })).toBe(1);
  });

  it('Given a second active task slipped past the service, then the database itself refuses it', async () => {
    const host = await makeHost(t);
    await t.app.services.tasks.startInventory({ hostIds: [host.id] }, system);
    const direct = t.db.db.insert(tasks).values({ type: 'DEPLOY', hostId: host.id });
    await expect(direct).rejects.toThrow();
  });

  it('Given a protected image, then ImageProtectedError; given a pending host, HostPendingError', async () => {
    const image = await makeImage(t);
    await t.app.services.images.setImageProtected(image.id, true);
    expect((await capture((await makeHost(t)).id, image.id)).__typename).toBe('ImageProtectedError');
    const pending = await t.app.services.hosts.registerHost({ macs: ['02:00:00:00:aa:01'] });
    expect((await capture(pending.id, (await makeImage(t)).id)).__typename).toBe('HostPendingError');
  });

  it('Given an image being captured, then a second capture to it from another host is refused', async () => {
    const image = await makeImage(t);
    await capture((await makeHost(t)).id, image.id);
    expect((await capture((await makeHost(t)).id, image.id)).__typename).toBe('ImageCaptureInProgressError');
  });

  it('Given forged ids, then HostNotFoundError / ImageNotFoundError, never a 500', async () => {
    const image = await makeImage(t);
    const res = await t.gql<{ startCapture: Payload }>(CAPTURE, {
      variables: { input: { hostId: "x'; drop table tasks; --", imageId: gid('Image', image.id) } },
      token: operator,
    });
    expect(res.data?.startCapture.__typename).toBe('HostNotFoundError');
    const host = await makeHost(t);
    const res2 = await t.gql<{ startCapture: Payload }>(CAPTURE, {
      variables: { input: { hostId: gid('Host', host.id), imageId: gid('Image', 'not-a-uuid') } },
      token: operator,
    });
    expect(res2.data?.startCapture.__typename).toBe('ImageNotFoundError');
  });

  it('Given a VIEWER, then FORBIDDEN and nothing changes', async () => {
    const [host, image] = [await makeHost(t), await makeImage(t)];
    const before = await snapshot();
    const res = await t.gql(CAPTURE, {
      variables: { input: { hostId: gid('Host', host.id), imageId: gid('Image', image.id) } },
      token: viewer,
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await snapshot()).toEqual(before);
  });
});

describe('startDeploy', () => {
  it('Given an image with no version, then ImageHasNoVersionError and nothing changes', async () => {
    const [host, image] = [await makeHost(t), await makeImage(t)];
    const before = await snapshot();
    expect((await deploy([host.id], image.id)).__typename).toBe('ImageHasNoVersionError');
    expect(await snapshot()).toEqual(before);
  });

  it('Given three hosts and a current version, then three DEPLOY tasks pinned to it', async () => {
    const hosts = [await makeHost(t), await makeHost(t), await makeHost(t)];
    const image = await makeImage(t, { withVersion: true });
    const result = await deploy(
      hosts.map((h) => h.id),
      image.id,
    );
    expect(result.__typename).toBe('StartDeploySuccess');
    expect(result.tasks).toHaveLength(3);
    expect(
      result.tasks?.every(
        (task) => (task as unknown as { imageVersion: { number: number } }).imageVersion.number === 1,
      ),
    ).toBe(true);
  });

  it('Given one busy host among three, then HostBusyError and no task at all (all or nothing)', async () => {
    const hosts = [await makeHost(t), await makeHost(t), await makeHost(t)];
    await t.app.services.tasks.startInventory({ hostIds: [hosts[1]!.id] }, system);
    const image = await makeImage(t, { withVersion: true });
    const before = await snapshot();
    expect(
      (
        await deploy(
          hosts.map((h) => h.id),
          image.id,
        )
      ).__typename,
    ).toBe('HostBusyError');
    expect(await snapshot()).toEqual(before);
  });
});

describe('cancel, reconcile, list', () => {
  it('Given a queued task, when cancelled twice, then CANCELLED then TaskAlreadyFinalError', async () => {
    const [task] = await t.app.services.tasks.startInventory({ hostIds: [(await makeHost(t)).id] }, system);
    const first = await t.gql<{ cancelTask: Payload }>(CANCEL, {
      variables: { id: gid('Task', task!.id) },
      token: operator,
    });
    expect(first.data?.cancelTask).toMatchObject({
      __typename: 'CancelTaskSuccess',
      task: { state: 'CANCELLED' },
    });
    const second = await t.gql<{ cancelTask: Payload }>(CANCEL, {
      variables: { id: gid('Task', task!.id) },
      token: operator,
    });
    expect(second.data?.cancelTask).toMatchObject({
      __typename: 'TaskAlreadyFinalError',
      state: 'CANCELLED',
    });
  });

  it('Given running tasks whose lease expired, when reconciled at start, then they FAIL with a reason; live ones stay', async () => {
    const svc = t.app.services.tasks;
    const now = new Date();
    const past = new Date(now.getTime() - 60_000);
    const future = new Date(now.getTime() + 600_000);
    const [expired] = await svc.startInventory({ hostIds: [(await makeHost(t)).id] }, system);
    await svc.transition(expired!.id, 'CHECKED_IN', { lease: { holder: 'client-a', expiresAt: past } });
    const [running] = await svc.startInventory({ hostIds: [(await makeHost(t)).id] }, system);
    await svc.transition(running!.id, 'CHECKED_IN', { lease: { holder: 'client-b', expiresAt: past } });
    await svc.transition(running!.id, 'IN_PROGRESS', { lease: { holder: 'client-b', expiresAt: past } });
    const [alive] = await svc.startInventory({ hostIds: [(await makeHost(t)).id] }, system);
    await svc.transition(alive!.id, 'CHECKED_IN', { lease: { holder: 'client-c', expiresAt: future } });
    const [queued] = await svc.startInventory({ hostIds: [(await makeHost(t)).id] }, system);

    const failed = await svc.reconcileExpiredLeases(now);
    expect(failed.map((task) => task.id).sort()).toEqual([expired!.id, running!.id].sort());
    expect(await svc.getTask(expired!.id)).toMatchObject({
      state: 'FAILED',
      failureReason: 'lease expired (server restart)',
    });
    expect((await svc.getTask(alive!.id))?.state).toBe('CHECKED_IN');
    expect((await svc.getTask(queued!.id))?.state).toBe('QUEUED');
    expect(await svc.renewLease(alive!.id, 'client-c', future)).toBe(true);
    expect(await svc.renewLease(alive!.id, 'intruder', future)).toBe(false);
  });

  it('Given tasks, then tasks(states, hostId) pages with totalCount and node(id) refetches a Task', async () => {
    const host = await makeHost(t);
    const svc = t.app.services.tasks;
    for (const mode of ['FAST', 'NORMAL', 'FULL'] as const) {
      const task = await svc.startWipe({ hostId: host.id, mode }, system);
      await svc.cancelTask(task.id);
    }
    const res = await t.gql<{
      tasks: { totalCount: number; edges: { node: { id: string; type: string } }[] };
    }>(
      'query($h: ID) { tasks(first: 2, states: [CANCELLED], hostId: $h) { totalCount edges { node { id type } } } }',
      { variables: { h: gid('Host', host.id) }, token: viewer },
    );
    expect(res.data?.tasks.totalCount).toBe(3);
    expect(res.data?.tasks.edges.map((e) => e.node.type)).toEqual(['FULL_WIPE', 'NORMAL_WIPE']);
    const node = await t.gql<{ node: { __typename: string; state: string } }>(
      'query($id: ID!) { node(id: $id) { __typename ... on Task { state host { name } progress { bytesDone etaSeconds } } } }',
      { variables: { id: res.data!.tasks.edges[0]!.node.id }, token: viewer },
    );
    expect(node.data?.node).toMatchObject({ __typename: 'Task', state: 'CANCELLED' });
    const forged = await t.gql<{ tasks: { totalCount: number } }>(
      '{ tasks(hostId: "bogus") { totalCount } }',
      { token: viewer },
    );
    expect(forged.data?.tasks.totalCount).toBe(0);
  });

  it('Given a busy host, then the service throws HostBusyError and leaves one task', async () => {
    const host = await makeHost(t);
    await t.app.services.tasks.startWipe({ hostId: host.id, mode: 'FAST' }, system);
    await expect(
      t.app.services.tasks.startWipe({ hostId: host.id, mode: 'FAST' }, system),
    ).rejects.toBeInstanceOf(HostBusyError);
    expect(await t.app.services.tasks.countTasks({ hostId: host.id })).toBe(1);
  });
});
