import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../server/src/app/app.ts';
import { multicastReceivers, multicastSessions } from '../../../server/src/multicast/multicast-table.ts';
import { call, checkIn, createHost, type TransferApp, until } from '../transfer/transfer-harness.ts';
import {
  type MulticastApp,
  startMulticastApp,
  startSession as startSessionFor,
} from './multicast-harness.ts';

const PORT = 47620;
let m: MulticastApp;
let a: TransferApp;

beforeAll(async () => {
  m = await startMulticastApp(PORT, PORT + 1);
  a = m.a;
}, 60_000);
afterAll(() => a?.close());

const mc = () => a.t.app.services.multicast;
const db = () => a.t.app.database.db;
const taskOf = (id: string) => a.t.app.services.tasks.getTask(id);

const startSession = (hostIds: string[], maxWaitSeconds: number) =>
  startSessionFor(m, hostIds, maxWaitSeconds);

/** One host in its own session, checked in, asking its ticket (which launches the sender). */
async function hostAskingTicket(maxWaitSeconds: number) {
  const host = await createHost(a);
  const session = await startSession([host.id], maxWaitSeconds);
  const checked = await checkIn(a, host.mac);
  const token = checked.token ?? undefined;
  const res = await call(a, 'GET', '/multicast/ticket', { token, mac: host.mac });
  return { host, token, ...session, res };
}

describe('a session that ends frees its slot', () => {
  it('Given the only slot held by a session, then another session is BUSY; when the first is cancelled, the other gets that slot; when that one fails (nobody joined within maxWait), the next gets it again', async () => {
    // Given
    const first = await hostAskingTicket(600);
    expect(first.res.status, JSON.stringify(first.res.body)).toBe(200);
    expect((first.res.body.ticket as { dataPort: number }).dataPort).toBe(PORT);
    expect((await mc().getSession(first.sessionId))?.senderLaunchedAt).not.toBeNull();

    // A second session meanwhile: BUSY (the client retries), its task untouched.
    const second = await hostAskingTicket(2);
    expect([second.res.status, second.res.body.code]).toEqual([429, 'BUSY']);
    expect((await taskOf(second.taskIds[0]!))?.state).toBe('CHECKED_IN');

    // When cancelled
    await mc().cancelMulticastSession(first.sessionId);
    await until(() => mc().runningSenders === 0, 10_000, 'the cancelled sender to exit');

    // Then the slot is free again
    const retried = await call(a, 'GET', '/multicast/ticket', { token: second.token, mac: second.host.mac });
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect((retried.body.ticket as { dataPort: number }).dataPort).toBe(PORT);

    // When nobody joins over UDP, the sender gives up at maxWait: the session and its task fail.
    await until(
      async () => (await mc().getSession(second.sessionId))?.state === 'FAILED',
      15_000,
      'the session to fail',
    );
    expect((await mc().getSession(second.sessionId))?.failureReason).toMatch(
      /^no receiver joined within \d+ s \(1 host got a ticket but no JOIN reached the sender/,
    );
    // The session row moves first, its tasks right after.
    await until(async () => (await taskOf(second.taskIds[0]!))?.state === 'FAILED', 5000, 'task FAILED');
    const failed = await taskOf(second.taskIds[0]!);
    expect(failed?.failureReason).toMatch(/no receiver joined within \d+ s/);
    await until(() => mc().runningSenders === 0, 10_000, 'the failed sender to be gone');

    // Then the slot is free again
    const third = await hostAskingTicket(600);
    expect(third.res.status, JSON.stringify(third.res.body)).toBe(200);
    expect((third.res.body.ticket as { dataPort: number }).dataPort).toBe(PORT);
    await mc().cancelMulticastSession(third.sessionId);
    await until(() => mc().runningSenders === 0, 10_000, 'the third sender to exit');
  }, 60_000);
});

describe('start-up reconcile', () => {
  it('Given sessions an earlier process ran (one WAITING with its sender launched, one RUNNING) and one never launched, when a new server starts on the database, then before it listens the first two and their active tasks fail with "the server restarted", and the third still waits', async () => {
    // Given: a sender launched by a real ticket request of the "old" server.
    const launched = await hostAskingTicket(600);
    expect(launched.res.status).toBe(200);
    // A RUNNING session: one receiver still at work, one already COMPLETE (its agent completes it).
    const [h2, h3, h4] = [await createHost(a), await createHost(a), await createHost(a)];
    const running = await startSession([h2.id, h3.id], 600);
    await db()
      .update(multicastSessions)
      .set({ state: 'RUNNING', senderLaunchedAt: new Date(), startedAt: new Date() })
      .where(eq(multicastSessions.id, running.sessionId));
    const doneTask = running.taskIds[1]!;
    const lease = { holder: 'old-server', expiresAt: new Date(Date.now() + 600_000) };
    await a.t.app.services.tasks.transition(doneTask, 'CHECKED_IN', { lease });
    await a.t.app.services.tasks.transition(doneTask, 'IN_PROGRESS', { lease });
    await db()
      .update(multicastReceivers)
      .set({ state: 'COMPLETE' })
      .where(eq(multicastReceivers.taskId, doneTask));
    const waiting = await startSession([h4.id], 600);

    // When: a new server on the same database starts.
    const next = await buildApp(a.t.app.config, { database: a.t.db, announce: () => {} });
    try {
      await next.start(0, '127.0.0.1');

      // Then: already done when start() returns.
      for (const id of [launched.sessionId, running.sessionId]) {
        const row = await mc().getSession(id);
        expect([row?.state, row?.failureReason]).toEqual([
          'FAILED',
          'the server restarted during the session',
        ]);
      }
      for (const id of [launched.taskIds[0]!, running.taskIds[0]!]) {
        const task = await taskOf(id);
        expect([task?.state, task?.failureReason]).toEqual([
          'FAILED',
          'the server restarted during the multicast session',
        ]);
      }
      expect((await taskOf(doneTask))?.state).toBe('IN_PROGRESS');
      expect((await mc().getSession(waiting.sessionId))?.state).toBe('WAITING');
      expect((await taskOf(waiting.taskIds[0]!))?.state).toBe('QUEUED');
    } finally {
      await next.stop();
      mc().stop();
    }
  }, 60_000);
});
