/**
 * A session that wants more receivers than come: at maxWaitSeconds the sender starts with whoever
 * joined. Real server, real sender process, one real `brume client --once` on loopback multicast
 * (sender and receiver in this machine's own namespace, 127.0.0.1), a blank disk file as target.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blankFile,
  blockHashes,
  createHost,
  createImage,
  randomDisk,
  rawId,
  runClient,
  seedImage,
  startTransferApp,
  type TransferApp,
  until,
} from '../transfer/transfer-harness.ts';

const MAX_WAIT_SECONDS = 12;
let a: TransferApp;
let image: { id: string; name: string };
let source: string;

beforeAll(async () => {
  a = await startTransferApp({ BRUME_MULTICAST_PORT_MIN: '47630', BRUME_MULTICAST_PORT_MAX: '47639' });
  image = await createImage(a);
  source = path.join(a.work, 'source.img');
  randomDisk(source, 3);
  await seedImage(a, image.id, image.name, source);
}, 60_000);
afterAll(() => a?.close());

describe('fewer receivers than minReceivers', () => {
  it('Given a session for 2 hosts with minReceivers 2, when only one client comes, then at maxWaitSeconds the sender starts with it: its disk gets the image, its task and the session complete, the absent host fails as never joined', async () => {
    // Given
    const [present, absent] = [await createHost(a), await createHost(a)];
    const res = await a.gql<{ startMulticast: { session: { id: string }; tasks: { id: string }[] } }>(
      `mutation($i: StartMulticastInput!) { startMulticast(input: $i) { ... on StartMulticastSuccess { session { id } tasks { id } } } }`,
      {
        token: a.operator,
        variables: {
          i: {
            hostIds: [present.id, absent.id],
            imageId: image.id,
            minReceivers: 2,
            maxWaitSeconds: MAX_WAIT_SECONDS,
          },
        },
      },
    );
    const sessionId = rawId(res.data!.startMulticast.session.id);
    const [presentTask, absentTask] = res.data!.startMulticast.tasks.map((t) => rawId(t.id));
    const target = path.join(a.work, 'target.img');
    blankFile(target, fs.statSync(source).size);
    const stateDir = path.join(a.work, 'client-state');

    // When
    const run = await runClient([
      '--server',
      a.base,
      '--disk',
      target,
      '--mac',
      present.mac,
      '--state-dir',
      stateDir,
    ]).done;

    // Then
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    // The client is done when its disk is: the server applies the sender's last snapshots after.
    await until(
      async () => (await a.t.app.services.multicast.getSession(sessionId))?.state === 'COMPLETE',
      20_000,
      'session COMPLETE',
    ).catch(async (err: Error) => {
      const row = await a.t.app.services.multicast.getSession(sessionId);
      const receivers = await a.t.app.services.multicast.receiversOf(sessionId);
      throw new Error(
        `${err.message}: ${JSON.stringify({ row, receivers, stderr: run.stderr.slice(-1500) })}`,
      );
    });
    const session = await a.t.app.services.multicast.getSession(sessionId);
    expect(session?.startedAt).not.toBeNull();
    // It waited for the second receiver until maxWaitSeconds, not a moment less.
    expect(session!.startedAt!.getTime() - session!.createdAt.getTime()).toBeGreaterThanOrEqual(
      MAX_WAIT_SECONDS * 1000 - 500,
    );
    const manifest = (await a.t.app.services.images.getVersion(session!.imageVersionId!))!.manifest;
    const parsed = manifest as Parameters<typeof blockHashes>[1];
    expect(parsed.blocks.length).toBeGreaterThan(0);
    expect(blockHashes(target, parsed)).toEqual(blockHashes(source, parsed));
    expect((await a.t.app.services.tasks.getTask(presentTask!))?.state).toBe('COMPLETE');
    const missing = await a.t.app.services.tasks.getTask(absentTask!);
    expect(missing?.state).toBe('FAILED');
    expect(missing?.failureReason).toMatch(/never joined the multicast session/);
  }, 90_000);
});
