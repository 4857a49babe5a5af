/**
 * Ends, from the database alone, the sessions no sender will ever end:
 * - `sweep(at)`: a WAITING session nobody asked a ticket of (no sender launched, so nothing waits
 *   for JOINs) past its no-receiver deadline fails "no receiver joined within N s";
 * - `reconcileAfterRestart()`: an open session whose sender was launched by an earlier process
 *   lost that sender and its keys (they live only in memory) and fails "the server restarted
 *   during the session". One never launched is left alone: it can still start.
 * Either way its receivers' active tasks fail with the reason; a receiver already COMPLETE keeps
 * its task (its agent completes it). A swept session whose ticket requests were answered BUSY
 * (every slot held) says so instead: nobody came because the server was full. Each session is
 * claimed by one conditional UPDATE, so a ticket request racing the sweep either launches the
 * sender or finds the session failed.
 */
import { and, eq, inArray, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../../db/database.ts';
import { BrumeError } from '../../graphql/brume-error.ts';
import type { PubSub } from '../../graphql/pubsub.ts';
import { ACTIVE_TASK_STATES } from '../../tasks/task-state-machine.ts';
import type { TasksService } from '../../tasks/tasks-service.ts';
import { tasks as tasksTable } from '../../tasks/tasks-table.ts';
import {
  NO_RECEIVER_FLOOR_SECONDS,
  noFreeSlotSessionReason,
  noReceiverReason,
  noReceiverWaitSeconds,
  SERVER_RESTARTED_REASON,
} from '../multicast-rules.ts';
import { ACTIVE_RECEIVER_STATES, OPEN_SESSION_STATES } from '../multicast-states.ts';
import { type MulticastSessionRow, multicastReceivers, multicastSessions } from '../multicast-table.ts';
import { progressOfRows } from './session-progress.ts';
import type { SlotRefusals } from './slot-refusals.ts';

export interface ReaperDeps {
  readonly db: Database;
  readonly tasks: TasksService;
  readonly pubsub: PubSub;
  readonly log: Logger;
  readonly now: () => Date;
  /** The BUSY answers the runner gave, so a swept session can say the server was full. */
  readonly refusals?: SlotRefusals;
}

/** What one reaping did: the sessions it failed and the tasks it failed with them. */
export interface Reaped {
  readonly sessionIds: string[];
  readonly taskIds: string[];
}

/** A sender lost with the process that ran it: the session's words, then its tasks'. */
export const LOST_REASONS = {
  session: SERVER_RESTARTED_REASON,
  task: 'the server restarted during the multicast session',
} as const;

export function createSessionReaper(deps: ReaperDeps) {
  const { db, tasks, pubsub, log } = deps;

  /** Fails the receivers still active and their tasks; returns the tasks it moved. */
  async function failReceivers(sessionId: string, reason: string, at: Date): Promise<string[]> {
    const rows = await db
      .update(multicastReceivers)
      .set({ state: 'FAILED', updatedAt: at })
      .where(
        and(
          eq(multicastReceivers.sessionId, sessionId),
          inArray(multicastReceivers.state, [...ACTIVE_RECEIVER_STATES]),
        ),
      )
      .returning({ taskId: multicastReceivers.taskId });
    const ids = rows.map((r) => r.taskId).filter((id): id is string => id !== null);
    if (ids.length === 0) return [];
    const active = await db
      .select({ id: tasksTable.id })
      .from(tasksTable)
      .where(and(inArray(tasksTable.id, ids), inArray(tasksTable.state, [...ACTIVE_TASK_STATES])));
    const moved: string[] = [];
    for (const { id } of active) {
      try {
        await tasks.transition(id, 'FAILED', { reason });
        moved.push(id);
      } catch (err) {
        // Its agent (or the lease reconcile) moved it first: it is final either way.
        if (!(err instanceof BrumeError)) throw err;
      }
    }
    return moved;
  }

  /** Claims each candidate (`guard` still true) and fails it; publishes its last progress event. */
  async function failEach(
    candidates: readonly MulticastSessionRow[],
    guard: SQL | undefined,
    reasonOf: (s: MulticastSessionRow) => { session: string; task: string },
  ): Promise<Reaped> {
    const reaped: Reaped = { sessionIds: [], taskIds: [] };
    for (const candidate of candidates) {
      const at = deps.now();
      const reason = reasonOf(candidate);
      const [ended] = await db
        .update(multicastSessions)
        .set({ state: 'FAILED', failureReason: reason.session, endedAt: at, updatedAt: at })
        .where(and(eq(multicastSessions.id, candidate.id), guard))
        .returning();
      if (!ended) continue;
      reaped.sessionIds.push(ended.id);
      deps.refusals?.forget(ended.id);
      reaped.taskIds.push(...(await failReceivers(ended.id, reason.task, at)));
      log.warn({ sessionId: ended.id, reason: reason.session }, 'multicast session failed');
      pubsub.publish('multicastProgress', await progressOfRows(db, ended), ended.id);
    }
    return reaped;
  }

  const openGuard = inArray(multicastSessions.state, [...OPEN_SESSION_STATES]);

  return {
    /** Fails one session while it is still open (a sender that cannot start, a lost one). */
    failOpen: (session: MulticastSessionRow, reason: string, taskReason = reason) =>
      failEach([session], openGuard, () => ({ session: reason, task: taskReason })),

    /**
     * Fails the WAITING sessions nobody asked a ticket of within their no-receiver wait. A session
     * with a receiver's client checked in is spared: it is on its way to ask (or retrying while
     * every slot is taken); if that client dies, its lease sweep fails its task and this one follows.
     */
    async sweep(at: Date = deps.now()): Promise<Reaped> {
      const seconds = sql`greatest(${multicastSessions.maxWaitSeconds}, ${NO_RECEIVER_FLOOR_SECONDS})`;
      const guard = and(
        eq(multicastSessions.state, 'WAITING'),
        isNull(multicastSessions.senderLaunchedAt),
        sql`${multicastSessions.createdAt} + ${seconds} * interval '1 second' <= ${at.toISOString()}::timestamptz`,
        // Spelled out: in an UPDATE drizzle may leave the outer column unqualified.
        sql`not exists (select 1 from multicast_receivers r join tasks t on t.id = r.task_id
          where r.session_id = "multicast_sessions"."id" and t.state in ('CHECKED_IN', 'IN_PROGRESS'))`,
      );
      const due = await db.select().from(multicastSessions).where(guard);
      return failEach(due, guard, (s) => {
        const wait = noReceiverWaitSeconds(s.maxWaitSeconds);
        const refused = deps.refusals?.of(s.id);
        const reason = refused ? noFreeSlotSessionReason(refused.capacity, wait) : noReceiverReason(wait);
        return { session: reason, task: reason };
      });
    },

    /** At start-up, before the API serves: open sessions whose sender an earlier process ran. */
    async reconcileAfterRestart(): Promise<Reaped> {
      const guard = and(
        openGuard,
        // RUNNING always had a sender, even one recorded before senderLaunchedAt existed.
        sql`(${isNotNull(multicastSessions.senderLaunchedAt)} or ${eq(multicastSessions.state, 'RUNNING')})`,
      );
      const lost = await db.select().from(multicastSessions).where(guard);
      return failEach(lost, guard, () => LOST_REASONS);
    },
  };
}

export type SessionReaper = ReturnType<typeof createSessionReaper>;

/** How often the no-receiver sweep runs: a deadline in seconds needs no finer grain. */
export const SESSION_SWEEP_MS = 5000;

/**
 * The start-up reconcile at once (`ready`: the API must not serve before it), then the
 * no-receiver sweep every `intervalMs` after it, until `stop()`.
 */
export function startSessionSweeps(reaper: SessionReaper, log: Logger, intervalMs = SESSION_SWEEP_MS) {
  const ready = reaper
    .reconcileAfterRestart()
    .then(() => undefined)
    .catch((err: unknown) => log.error({ err }, 'multicast start-up reconcile failed'));
  let sweeping = false;
  const timer = setInterval(() => {
    // One sweep at a time: a slow database must not pile them up.
    if (sweeping) return;
    sweeping = true;
    void ready
      .then(() => reaper.sweep())
      .catch((err: unknown) => log.error({ err }, 'multicast session sweep failed'))
      .finally(() => {
        sweeping = false;
      });
  }, intervalMs);
  timer.unref();
  return { ready, stop: () => clearInterval(timer) };
}
