/**
 * A session that never got a slot says so. The port range holds ONE slot and a real sender holds
 * it; a second session's host runs the real client (in-process Agent, a short retry window in
 * place of the 120 s default), is answered 429 BUSY until it gives up, and fails its task. The
 * sweep that then fails the session names the full server, not "no receiver joined".
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noReceiverReason } from '../../../server/src/multicast/multicast-rules.ts';
import { Agent } from '../../../tui/src/agent/agent.ts';
import {
  blankFile,
  call,
  checkIn,
  createHost,
  type TransferApp,
  until,
} from '../transfer/transfer-harness.ts';
import {
  type MulticastApp,
  startMulticastApp,
  startSession as startSessionFor,
} from './multicast-harness.ts';

const PORT = 47644;
const FULL = 'no free multicast slot: all 1 in use (BRUME_MULTICAST_PORT_MIN/MAX)';
let m: MulticastApp;
let a: TransferApp;
let source: string;

beforeAll(async () => {
  m = await startMulticastApp(PORT, PORT + 1);
  ({ a, source } = m);
}, 60_000);
afterAll(async () => {
  a?.t.app.services.multicast.stop();
  await a?.close();
});

const mc = () => a.t.app.services.multicast;
const taskOf = (id: string) => a.t.app.services.tasks.getTask(id);
const seconds = (from: Date, s: number) => new Date(from.getTime() + s * 1000);

const startSession = (hostIds: string[], maxWaitSeconds: number) =>
  startSessionFor(m, hostIds, maxWaitSeconds);

describe('a session whose receivers found every slot taken', () => {
  it('Given the only slot held by a running session, when another session\'s client gives up on BUSY, then its task fails with "no free multicast slot: all 1 in use", and the sweep fails that session saying so', async () => {
    // Given: the first session's ticket launches its sender, which holds the only slot.
    const holder = await createHost(a);
    const first = await startSession([holder.id], 600);
    const checked = await checkIn(a, holder.mac);
    const ticket = await call(a, 'GET', '/multicast/ticket', {
      token: checked.token ?? undefined,
      mac: holder.mac,
    });
    expect(ticket.status, JSON.stringify(ticket.body)).toBe(200);

    // When: a second session's host runs its task with the real client, which retries BUSY and gives up.
    const host = await createHost(a);
    const second = await startSession([host.id], 60);
    const disk = path.join(a.work, 'target.img');
    blankFile(disk, fs.statSync(source).size);
    const agent = new Agent({
      server: a.base,
      mac: host.mac,
      diskPath: disk,
      stateDir: path.join(a.work, 'state'),
      workers: 0,
      retryWindowMs: 1500,
    });
    const { task } = await agent.checkIn();
    expect(task?.kind).toBe('MULTICAST');
    const outcome = await agent.runTask(task!, { progress: () => {} }, new AbortController().signal);

    // Then: the client and the task carry the server's BUSY words.
    expect(outcome).toEqual({ kind: 'failed', reason: FULL });
    await until(async () => (await taskOf(second.taskIds[0]!))?.state === 'FAILED', 5000, 'task FAILED');
    expect((await taskOf(second.taskIds[0]!))?.failureReason).toBe(FULL);

    // When the sweep passes the session's no-receiver deadline
    const created = (await mc().getSession(second.sessionId))!.createdAt;
    expect((await mc().sweepSessions(seconds(created, 59))).sessionIds).not.toContain(second.sessionId);
    const reaped = await mc().sweepSessions(seconds(created, 61));

    // Then the session says the server was full, and still how long it waited.
    expect(reaped.sessionIds).toContain(second.sessionId);
    const row = await mc().getSession(second.sessionId);
    expect([row?.state, row?.failureReason]).toEqual(['FAILED', `${FULL}, so ${noReceiverReason(60)}`]);
    // The session holding the slot is untouched.
    expect((await mc().getSession(first.sessionId))?.state).not.toBe('FAILED');

    await mc().cancelMulticastSession(first.sessionId);
    await until(() => mc().runningSenders === 0, 10_000, 'the holder sender to exit');
  }, 60_000);

  it('Given one session refused a slot and another nobody asked for, when both pass their deadline, then only the refused one names the full server', async () => {
    // Given: a slot holder, then a session whose ticket request is answered BUSY.
    const holder = await createHost(a);
    const first = await startSession([holder.id], 600);
    const c1 = await checkIn(a, holder.mac);
    const held = await call(a, 'GET', '/multicast/ticket', { token: c1.token ?? undefined, mac: holder.mac });
    expect(held.status, JSON.stringify(held.body)).toBe(200);
    const [h2, h3] = [await createHost(a), await createHost(a)];
    const refused = await startSession([h2.id], 60);
    const c2 = await checkIn(a, h2.mac);
    const busy = await call(a, 'GET', '/multicast/ticket', { token: c2.token ?? undefined, mac: h2.mac });
    expect([busy.status, busy.body.code, busy.body.message]).toEqual([429, 'BUSY', FULL]);
    // Its client gave up (the first test runs the real client for that).
    await a.t.app.services.tasks.transition(refused.taskIds[0]!, 'FAILED', { reason: FULL });
    // And a session nobody ever asked a ticket of.
    const idle = await startSession([h3.id], 60);

    // When
    const created = (await mc().getSession(idle.sessionId))!.createdAt;
    const reaped = await mc().sweepSessions(seconds(created, 3600));

    // Then
    expect(reaped.sessionIds).toEqual(expect.arrayContaining([refused.sessionId, idle.sessionId]));
    expect((await mc().getSession(refused.sessionId))?.failureReason).toBe(
      `${FULL}, so ${noReceiverReason(60)}`,
    );
    expect((await mc().getSession(idle.sessionId))?.failureReason).toBe(noReceiverReason(60));
    expect((await taskOf(idle.taskIds[0]!))?.failureReason).toBe(noReceiverReason(60));

    await mc().cancelMulticastSession(first.sessionId);
    await until(() => mc().runningSenders === 0, 10_000, 'the holder sender to exit');
  }, 60_000);
});
