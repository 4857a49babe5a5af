/**
 * The no-receiver sweep, on a real database: a WAITING session nobody asked a ticket of fails
 * once its maxWaitSeconds (at least 60 s) passed, with its tasks, receivers and name; one whose
 * sender was launched is the sender's to end. Time moves through the sweep's `at`, except in the
 * last test, where the app's own timer does the work on a session created in the past.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NO_RECEIVER_FLOOR_SECONDS,
  noReceiverDeadline,
} from '../../../server/src/multicast/multicast-rules.ts';
import { multicastSessions } from '../../../server/src/multicast/multicast-table.ts';
import { SESSION_SWEEP_MS } from '../../../server/src/multicast/runner/session-reaper.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { makeHost, makeImage, system } from '../tasks/task-fixtures.ts';
import { until } from '../transfer/transfer-harness.ts';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  t.app.services.multicast.stop();
  await t.close();
});

const seconds = (from: Date, s: number) => new Date(from.getTime() + s * 1000);
const mc = () => t.app.services.multicast;

async function hostSession(maxWaitSeconds: number, hostCount = 2) {
  const image = await makeImage(t, { withVersion: true });
  const hosts = await Promise.all(Array.from({ length: hostCount }, () => makeHost(t, 'SWEEP')));
  return mc().startMulticast(
    { hostIds: hosts.map((h) => h.id), imageId: image.id, minReceivers: 1, maxWaitSeconds },
    system,
  );
}

async function sessionRow(id: string) {
  return (await mc().getSession(id))!;
}

describe('the no-receiver deadline', () => {
  it('Given maxWaitSeconds above the floor, then it is that; below it (0 included), the floor', () => {
    const createdAt = new Date('2026-11-26T00:00:00Z');
    expect(noReceiverDeadline({ createdAt, maxWaitSeconds: 90 })).toEqual(seconds(createdAt, 90));
    expect(noReceiverDeadline({ createdAt, maxWaitSeconds: 0 })).toEqual(
      seconds(createdAt, NO_RECEIVER_FLOOR_SECONDS),
    );
  });
});

describe('no-receiver sweep', () => {
  it('Given a host-set session nobody asked a ticket of, when its maxWaitSeconds passed, then it, its receivers and its tasks fail with "no receiver joined within N s"', async () => {
    const { session, tasks } = await hostSession(90);

    // Before the deadline: nothing moves.
    expect((await mc().sweepSessions(seconds(session.createdAt, 89))).sessionIds).not.toContain(session.id);
    expect((await sessionRow(session.id)).state).toBe('WAITING');

    const reaped = await mc().sweepSessions(seconds(session.createdAt, 91));

    expect(reaped.sessionIds).toContain(session.id);
    expect(new Set(reaped.taskIds)).toEqual(new Set(tasks.map((x) => x.id)));
    const row = await sessionRow(session.id);
    expect([row.state, row.failureReason]).toEqual(['FAILED', 'no receiver joined within 90 s']);
    expect(row.endedAt).not.toBeNull();
    for (const task of tasks) {
      const now = await t.app.services.tasks.getTask(task.id);
      expect([now?.state, now?.failureReason]).toEqual(['FAILED', 'no receiver joined within 90 s']);
    }
    expect((await mc().receiversOf(session.id)).map((r) => r.state)).toEqual(['FAILED', 'FAILED']);
    // A second sweep finds nothing more to do.
    expect((await mc().sweepSessions(seconds(session.createdAt, 200))).sessionIds).not.toContain(session.id);
  });

  it('Given a named session with maxWaitSeconds 0 and no join, then it fails only after the 60 s floor, and its name is free again', async () => {
    const image = await makeImage(t, { withVersion: true });
    const session = await mc().createMulticastSession(
      { name: 'empty-room', imageId: image.id, minReceivers: 1, maxWaitSeconds: 0 },
      system,
    );

    await mc().sweepSessions(seconds(session.createdAt, NO_RECEIVER_FLOOR_SECONDS - 1));
    expect((await sessionRow(session.id)).state).toBe('WAITING');
    await mc().sweepSessions(seconds(session.createdAt, NO_RECEIVER_FLOOR_SECONDS + 1));

    const row = await sessionRow(session.id);
    expect([row.state, row.failureReason]).toEqual(['FAILED', 'no receiver joined within 60 s']);
    const again = await mc().createMulticastSession(
      { name: 'EMPTY-room', imageId: image.id, minReceivers: 1, maxWaitSeconds: 60 },
      system,
    );
    expect(again.state).toBe('WAITING');
  });

  it('Given a session whose sender was launched (a receiver asked its ticket), then the sweep leaves it to the sender', async () => {
    const { session, tasks } = await hostSession(5, 1);
    await t.app.database.db
      .update(multicastSessions)
      .set({ senderLaunchedAt: session.createdAt })
      .where(eq(multicastSessions.id, session.id));

    await mc().sweepSessions(seconds(session.createdAt, 3600));

    expect((await sessionRow(session.id)).state).toBe('WAITING');
    expect((await t.app.services.tasks.getTask(tasks[0]!.id))?.state).toBe('QUEUED');
  });

  it('Given a session past its deadline whose one receiver has checked in (its client is on its way to ask), then the sweep spares it; once that task ends, the sweep fails the session', async () => {
    const { session, tasks } = await hostSession(60, 2);
    const lease = { holder: 'client', expiresAt: new Date(Date.now() + 600_000) };
    await t.app.services.tasks.transition(tasks[0]!.id, 'CHECKED_IN', { lease });

    await mc().sweepSessions(seconds(session.createdAt, 3600));
    expect((await sessionRow(session.id)).state).toBe('WAITING');

    await t.app.services.tasks.transition(tasks[0]!.id, 'FAILED', { reason: 'the client died' });
    await mc().sweepSessions(seconds(session.createdAt, 3600));

    const row = await sessionRow(session.id);
    expect([row.state, row.failureReason]).toEqual(['FAILED', 'no receiver joined within 60 s']);
    // The task that already ended keeps its own reason; the other fails with the session's.
    expect((await t.app.services.tasks.getTask(tasks[0]!.id))?.failureReason).toBe('the client died');
    expect((await t.app.services.tasks.getTask(tasks[1]!.id))?.failureReason).toBe(
      'no receiver joined within 60 s',
    );
  });

  it('Given a waiting session watched on multicastProgress, when it is cancelled, then the stream yields CANCELLED and ends', async () => {
    const { session } = await hostSession(600, 1);
    const stream = await mc().watchProgress(session.id);
    const it = stream![Symbol.asyncIterator]();
    expect((await it.next()).value?.state).toBe('WAITING');

    await mc().cancelMulticastSession(session.id);

    expect((await it.next()).value?.state).toBe('CANCELLED');
    expect((await it.next()).done).toBe(true);
  });

  it('Given a session watched on multicastProgress, when the sweep fails it, then the stream yields FAILED and ends', async () => {
    const { session } = await hostSession(60, 1);
    const stream = await mc().watchProgress(session.id);
    const it = stream![Symbol.asyncIterator]();
    expect((await it.next()).value?.state).toBe('WAITING');

    await mc().sweepSessions(seconds(session.createdAt, 61));

    const last = await it.next();
    expect(last.value?.state).toBe('FAILED');
    expect(last.value?.receivers.map((r: { state: string }) => r.state)).toEqual(['FAILED']);
    expect((await it.next()).done).toBe(true);
  });

  it('Given a session created 10 minutes ago with maxWaitSeconds 1, then the running server fails it on its own within one sweep period', async () => {
    const { session, tasks } = await hostSession(1, 1);
    await t.app.database.db
      .update(multicastSessions)
      .set({ createdAt: new Date(Date.now() - 600_000) })
      .where(eq(multicastSessions.id, session.id));

    await until(
      async () => (await t.app.services.tasks.getTask(tasks[0]!.id))?.state === 'FAILED',
      SESSION_SWEEP_MS + 3000,
      'the periodic sweep',
    );

    expect((await sessionRow(session.id)).failureReason).toBe('no receiver joined within 60 s');
    expect((await t.app.services.tasks.getTask(tasks[0]!.id))?.failureReason).toBe(
      'no receiver joined within 60 s',
    );
  });
});
