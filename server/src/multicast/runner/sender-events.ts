/**
 * What the sender's output does to the session: each snapshot moves the session, receiver and
 * task rows and is published; the exit ends the session and frees its slot and its files.
 */
import { rm } from 'node:fs/promises';
import { and, eq, inArray } from 'drizzle-orm';
import { noReceiverReason } from '../multicast-rules.ts';
import { OPEN_SESSION_STATES } from '../multicast-states.ts';
import { multicastSessions } from '../multicast-table.ts';
import type { SenderSnapshot } from '../sender/ports.ts';
import type { SenderExit } from './sender-child.ts';
import { progressEventOf, type Run, type RunnerContext } from './session-run.ts';

export function createSenderEvents(ctx: RunnerContext) {
  const { db, log, pubsub } = ctx.deps;

  const publish = (run: Run) => pubsub.publish('multicastProgress', progressEventOf(run), run.session.id);

  async function setSession(id: string, values: Partial<typeof multicastSessions.$inferInsert>) {
    await db
      .update(multicastSessions)
      .set({ ...values, updatedAt: ctx.deps.now() })
      .where(and(eq(multicastSessions.id, id), inArray(multicastSessions.state, [...OPEN_SESSION_STATES])));
  }

  /**
   * The sender process prints at most one snapshot per 500 ms, so a short session's "running"
   * one may never arrive: a later phase (or the report's running time) says it started too.
   */
  async function markStarted(run: Run, phase: SenderSnapshot['phase'], runningMs = 0): Promise<void> {
    if (run.state !== 'WAITING' || (phase !== 'running' && phase !== 'complete' && runningMs <= 0)) return;
    run.state = 'RUNNING';
    const startedAt = new Date(ctx.deps.now().getTime() - runningMs);
    await setSession(run.session.id, { state: 'RUNNING', startedAt });
  }

  async function onProgress(run: Run, s: SenderSnapshot, runningMs = 0): Promise<void> {
    // The pacer's rate is fractional; the API's ByteCount is a whole number of bytes.
    run.rate = Math.round(s.rateBytesPerSecond);
    await markStarted(run, s.phase, runningMs);
    await run.tracker.apply(s.receivers, Date.now());
    publish(run);
  }

  /** Why the session ended, in the API's words when nobody ever joined. */
  function exitReason(run: Run, exit: SenderExit): string {
    if (exit.kind === 'died') return exit.reason;
    const nobody = exit.report.receivers.length === 0 && run.state === 'WAITING' && !run.stopping;
    if (nobody && exit.report.phase === 'failed') {
      const waited = Math.round((ctx.deps.now().getTime() - run.session.createdAt.getTime()) / 1000);
      const reason = noReceiverReason(Math.max(waited, run.session.maxWaitSeconds));
      // Hosts asked for tickets, yet no JOIN reached the sender: the imaging network's fault.
      const asked = run.tracker.ticketCount;
      return `${reason} (${asked} ${asked === 1 ? 'host' : 'hosts'} got a ticket but no JOIN reached the sender: check multicast on the imaging network)`;
    }
    return exit.report.failReason ?? 'the multicast session ended';
  }

  async function onExit(run: Run, exit: SenderExit): Promise<void> {
    if (exit.kind === 'report') await onProgress(run, exit.report, exit.report.runningMs);
    const complete = exit.kind === 'report' && exit.report.phase === 'complete' && exit.code === 0;
    const reason = exitReason(run, exit);
    const [row] = await db.select().from(multicastSessions).where(eq(multicastSessions.id, run.session.id));
    const open = row && OPEN_SESSION_STATES.includes(row.state);
    if (open) {
      run.state = complete ? 'COMPLETE' : 'FAILED';
      // Receivers first: whoever sees the session ended then finds its tasks ended too.
      await run.tracker.finish(complete ? 'the session ended before this receiver finished' : reason);
      await setSession(run.session.id, {
        state: run.state,
        endedAt: ctx.deps.now(),
        failureReason: complete ? null : reason.slice(0, 500),
      });
    } else if (row) run.state = row.state;
    log.info({ sessionId: run.session.id, state: run.state, reason }, 'multicast session ended');
    publish(run);
    ctx.runs.delete(run.session.id);
    ctx.slots.release(run.slot);
    await rm(run.dir, { recursive: true, force: true });
  }

  return { onProgress, onExit };
}

export type SenderEvents = ReturnType<typeof createSenderEvents>;
