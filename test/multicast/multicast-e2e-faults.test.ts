/**
 * Multicast faults through the product (root only, namespaces of harness.ts): the sender killed
 * mid-session fails the session and its tasks with the reason; cancelMulticastSession stops the
 * sender and cancels the tasks; a receiver frozen (SIGSTOP) past the stall bound is dropped and
 * its task failed with why, while the other receiver completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionBlocks } from '../../server/src/multicast/sender/engine-source.ts';
import { rawId, until } from '../server/transfer/transfer-harness.ts';
import { badBlocksOnDisk } from './harness.ts';
import {
  type E2e,
  e2eSkipReason,
  makeTargets,
  runClientIn,
  senderPids,
  setupE2e,
  startMulticast,
} from './multicast-e2e-setup.ts';

const MiB = 1024 * 1024;
if (e2eSkipReason) console.warn(`SKIPPED multicast-e2e-faults: ${e2eSkipReason}`);

let e: E2e;
const task = (id: string) => e.a.t.app.services.tasks.getTask(rawId(id));
const session = (id: string) => e.a.t.app.services.multicast.getSession(rawId(id));

async function untilRunning(sessionId: string) {
  await until(async () => (await session(sessionId))?.state === 'RUNNING', 60_000, 'session RUNNING');
}

describe.skipIf(e2eSkipReason !== null)('multicast faults through the server and the client agent', () => {
  beforeAll(async () => {
    e = await setupE2e(2, { BRUME_MULTICAST_STALL_SECONDS: '4' });
  }, 180_000);
  afterAll(() => e?.close());

  it('Given a running session, when its sender is killed, then the session and its task fail with the reason and the client stops', async () => {
    const [host] = await makeTargets(e, 1);
    const { sessionId, taskIds } = await startMulticast(e, [host!.id], { rateLimitBytesPerSecond: 3 * MiB });
    const client = runClientIn(e, 1, host!);
    await untilRunning(sessionId);
    const pids = senderPids(e);
    expect(pids.length).toBe(1);
    for (const pid of pids) process.kill(pid, 'SIGKILL');

    await until(async () => (await session(sessionId))?.state === 'FAILED', 20_000, 'session FAILED');
    expect((await session(sessionId))?.failureReason).toMatch(/sender died/);
    const failed = await task(taskIds[0]!);
    expect(failed?.state).toBe('FAILED');
    expect(failed?.failureReason ?? '').toMatch(/sender died/);
    const run = await client.done;
    expect(run.code).toBe(1);
  }, 180_000);

  it('Given a running session, when it is cancelled through GraphQL, then the sender stops and the task is cancelled', async () => {
    const [host] = await makeTargets(e, 1);
    const { sessionId, taskIds } = await startMulticast(e, [host!.id], { rateLimitBytesPerSecond: 3 * MiB });
    const client = runClientIn(e, 1, host!);
    await untilRunning(sessionId);
    const res = await e.a.gql<{ cancelMulticastSession: { __typename: string } }>(
      'mutation($id: ID!) { cancelMulticastSession(input: { id: $id }) { __typename } }',
      { token: e.a.operator, variables: { id: sessionId } },
    );
    expect(res.data?.cancelMulticastSession.__typename).toBe('CancelMulticastSessionSuccess');
    await until(() => senderPids(e).length === 0, 15_000, 'sender gone');
    expect((await task(taskIds[0]!))?.state).toBe('CANCELLED');
    expect((await session(sessionId))?.state).toBe('CANCELLED');
    expect((await client.done).code).toBe(1);
  }, 180_000);

  it('Given two receivers, when one is frozen past the stall bound, then its task fails as dropped and the other completes with the image', async () => {
    const hosts = await makeTargets(e, 2);
    const { sessionId, taskIds } = await startMulticast(
      e,
      hosts.map((h) => h.id),
      { rateLimitBytesPerSecond: 8 * MiB },
    );
    const good = runClientIn(e, 1, hosts[0]!);
    const frozen = runClientIn(e, 2, hosts[1]!);
    await untilRunning(sessionId);
    frozen.child.kill('SIGSTOP');
    try {
      await until(async () => (await task(taskIds[1]!))?.state === 'FAILED', 60_000, 'frozen task FAILED');
      expect((await task(taskIds[1]!))?.failureReason ?? '').toMatch(/dropped from the multicast session/);
      const run = await good.done;
      expect(run.code, run.stderr.slice(-1500)).toBe(0);
      await until(async () => (await task(taskIds[0]!))?.state === 'COMPLETE', 20_000, 'good task COMPLETE');
      expect(badBlocksOnDisk(hosts[0]!.disk, sessionBlocks(e.manifest))).toEqual([]);
      // A dropped receiver does not hold the session: it completes with the one that finished.
      await until(async () => (await session(sessionId))?.state === 'COMPLETE', 20_000, 'session COMPLETE');
      const receivers = await e.a.t.app.services.multicast.receiversOf(rawId(sessionId));
      const byHost = new Map(receivers.map((r) => [r.hostId, r.state]));
      expect(byHost.get(rawId(hosts[0]!.id))).toBe('COMPLETE');
      expect(byHost.get(rawId(hosts[1]!.id))).toBe('FAILED');
    } finally {
      frozen.child.kill('SIGKILL');
    }
  }, 240_000);
});
