/**
 * Multicast through the product, in network namespaces this test creates (root only): the API
 * in this process with its multicast sender in the sender namespace, three `brume client --once`
 * agents in three receiver namespaces, each on a blank disk file. startMulticast through GraphQL;
 * then every task COMPLETE, the session COMPLETE, every target block hashing to the image's, and
 * the multicastProgress subscription showing one row per receiver.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionBlocks } from '../../server/src/multicast/sender/engine-source.ts';
import { rawId, until } from '../server/transfer/transfer-harness.ts';
import { badBlocksOnDisk } from './harness.ts';
import {
  type E2e,
  e2eSkipReason,
  makeTargets,
  runClientIn,
  setupE2e,
  startMulticast,
  watchSession,
} from './multicast-e2e-setup.ts';

const RECEIVERS = 3;
const LARGER_BY = 64 * 1024 * 1024;
const SECTOR = 512;

/** Where the primary GPT header says its backup is, and what the target's last sector holds. */
function gptBackupAtEnd(disk: string) {
  const fd = fs.openSync(disk, 'r');
  try {
    const lastLba = fs.fstatSync(fd).size / SECTOR - 1;
    const header = Buffer.alloc(SECTOR);
    fs.readSync(fd, header, 0, SECTOR, SECTOR);
    const alternate = Number(header.readBigUInt64LE(32));
    const last = Buffer.alloc(SECTOR);
    fs.readSync(fd, last, 0, SECTOR, lastLba * SECTOR);
    return {
      primarySaysBackupAt: alternate === lastLba ? 'last LBA' : `LBA ${alternate} of ${lastLba}`,
      backupSignature: last.subarray(0, 8).toString('latin1'),
    };
  } finally {
    fs.closeSync(fd);
  }
}
if (e2eSkipReason) console.warn(`SKIPPED multicast-e2e: ${e2eSkipReason}`);

let e: E2e;

describe.skipIf(e2eSkipReason !== null)('multicast deploy through the server and the client agent', () => {
  beforeAll(async () => {
    // A restarted client must be back before the stall bound: tsx start-up is slow on a loaded machine.
    e = await setupE2e(RECEIVERS, { BRUME_MULTICAST_STALL_SECONDS: '30' });
  }, 180_000);
  afterAll(() => e?.close());

  it('Given 3 hosts on blank disks (one larger than the source), when startMulticast runs and their clients check in, then every task and the session complete and every disk holds the image', async () => {
    // Given: the last target is 64 MiB larger, so its GPT backup must move to its own end.
    const hosts = await makeTargets(e, RECEIVERS, [0, 0, LARGER_BY]);

    // When
    const { sessionId, taskIds } = await startMulticast(
      e,
      hosts.map((h) => h.id),
      { rateLimitBytesPerSecond: 60 * 1024 * 1024 },
    );
    const watch = watchSession(e, sessionId);
    await until(() => watch.events.length > 0, 10_000, 'first multicastProgress event');
    const runs = await Promise.all(hosts.map((h, i) => runClientIn(e, i + 1, h).done));

    // Then
    for (const r of runs) expect(r.code, r.stderr.slice(-2000)).toBe(0);
    // Every receiver joined before the start: its blocks came by multicast, none by unicast.
    for (const r of runs) expect(r.stderr).toMatch(/multicast: \d+ blocks, 0 by unicast/);
    const tasks = taskIds.map(rawId);
    await until(
      async () => {
        const rows = await Promise.all(tasks.map((id) => e.a.t.app.services.tasks.getTask(id)));
        return rows.every((t) => t?.state === 'COMPLETE');
      },
      20_000,
      'all tasks COMPLETE',
    );
    await until(
      async () => (await e.a.t.app.services.multicast.getSession(rawId(sessionId)))?.state === 'COMPLETE',
      20_000,
      'session COMPLETE',
    );
    const blocks = sessionBlocks(e.manifest);
    for (const h of hosts.slice(0, -1)) expect(badBlocksOnDisk(h.disk, blocks)).toEqual([]);
    const larger = hosts.at(-1)!;
    expect(badBlocksOnDisk(larger.disk, e.manifest.blocks)).toEqual([]);
    expect(gptBackupAtEnd(larger.disk)).toEqual({
      primarySaysBackupAt: 'last LBA',
      backupSignature: 'EFI PART',
    });
    await until(() => watch.events.at(-1)?.state === 'COMPLETE', 10_000, 'final progress event');
    expect(watch.failure()).toBeNull();
    const final = watch.events.at(-1)!;
    expect(final.receivers.map((r) => r.state)).toEqual(Array(RECEIVERS).fill('COMPLETE'));
    expect(new Set(final.receivers.map((r) => r.host?.id))).toEqual(new Set(hosts.map((h) => h.id)));
    expect(final.receivers.every((r) => r.blocksDone === blocks.length)).toBe(true);
    // The session's rate cap bounds the sender's rate.
    const rates = watch.events.map((ev) => ev.rateBytesPerSecond);
    expect(Math.max(...rates)).toBeGreaterThan(0);
    expect(Math.max(...rates)).toBeLessThanOrEqual(60 * 1024 * 1024);
    // Rows were seen while the session ran, not only at its end.
    expect(watch.events.some((ev) => ev.state === 'RUNNING' && ev.receivers.length === RECEIVERS)).toBe(true);
    await watch.close();
  }, 300_000);

  it('Given a named session, when a host joins it by name through GraphQL and its client checks in, then the host receives the image', async () => {
    const [host] = await makeTargets(e, 1);
    const name = `e2e-room-${process.pid}`;
    const created = await e.a.gql<{
      createMulticastSession: { __typename: string; session?: { id: string } };
    }>(
      `mutation($i: CreateMulticastSessionInput!) { createMulticastSession(input: $i) { __typename
        ... on CreateMulticastSessionSuccess { session { id } } } }`,
      {
        token: e.a.operator,
        variables: { i: { name, imageId: e.image.id, minReceivers: 1, maxWaitSeconds: 30 } },
      },
    );
    expect(created.data?.createMulticastSession.__typename).toBe('CreateMulticastSessionSuccess');
    const joined = await e.a.gql<{ joinMulticastSession: { __typename: string; task?: { id: string } } }>(
      `mutation($i: JoinMulticastSessionInput!) { joinMulticastSession(input: $i) { __typename
        ... on JoinMulticastSessionSuccess { task { id } } } }`,
      { token: e.a.operator, variables: { i: { sessionName: name.toUpperCase(), hostId: host!.id } } },
    );
    expect(joined.data?.joinMulticastSession.__typename).toBe('JoinMulticastSessionSuccess');

    const run = await runClientIn(e, 1, host!).done;

    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const taskId = rawId(joined.data!.joinMulticastSession.task!.id);
    await until(
      async () => (await e.a.t.app.services.tasks.getTask(taskId))?.state === 'COMPLETE',
      20_000,
      'COMPLETE',
    );
    expect(badBlocksOnDisk(host!.disk, sessionBlocks(e.manifest))).toEqual([]);
    const sessionId = rawId(created.data!.createMulticastSession.session!.id);
    await until(
      async () => (await e.a.t.app.services.multicast.getSession(sessionId))?.state === 'COMPLETE',
      20_000,
      'session COMPLETE',
    );
  }, 240_000);

  it('Given two receivers, when one client is killed mid-session and started again, then it rejoins with its done-map and both end with the image', async () => {
    const hosts = await makeTargets(e, 2);
    const { sessionId, taskIds } = await startMulticast(
      e,
      hosts.map((h) => h.id),
      { rateLimitBytesPerSecond: 8 * 1024 * 1024 },
    );
    const steady = runClientIn(e, 1, hosts[0]!);
    const victim = runClientIn(e, 2, hosts[1]!);
    const victimRow = async () =>
      (await e.a.t.app.services.multicast.receiversOf(rawId(sessionId))).find(
        (r) => r.hostId === rawId(hosts[1]!.id),
      );
    await until(async () => ((await victimRow())?.blocksDone ?? 0) > 20, 60_000, 'victim receiving');
    victim.child.kill('SIGKILL');
    await victim.done;
    // What it had written and synced is recorded: the restart resumes from it.
    expect(fs.existsSync(path.join(hosts[1]!.stateDir, `${rawId(taskIds[1]!)}.mcdone`))).toBe(true);

    const again = await runClientIn(e, 2, hosts[1]!).done;
    const first = await steady.done;

    expect(first.code, first.stderr.slice(-1500)).toBe(0);
    expect(again.code, again.stderr.slice(-1500)).toBe(0);
    for (const id of taskIds)
      await until(
        async () => (await e.a.t.app.services.tasks.getTask(rawId(id)))?.state === 'COMPLETE',
        20_000,
        'COMPLETE',
      );
    const blocks = sessionBlocks(e.manifest);
    for (const h of hosts) expect(badBlocksOnDisk(h.disk, blocks)).toEqual([]);
  }, 300_000);
});
