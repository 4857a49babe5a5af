import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.ts';
import { InvalidTaskTransitionError, TaskAlreadyFinalError, TaskNotFoundError } from './task-errors.ts';
import { isFinalState, statesAllowedBefore, type TaskState } from './task-state-machine.ts';
import { selectTask } from './task-store.ts';
import { type TaskRow, tasks } from './tasks-table.ts';

export interface TransitionOptions {
  /** Why a task failed or was cancelled; stored on the row. */
  readonly reason?: string | null;
  /** Entering CHECKED_IN / IN_PROGRESS: who holds the task and until when. */
  readonly lease?: { readonly holder: string; readonly expiresAt: Date } | null;
  /** A capture entering COMPLETE: the version its commit published, recorded in the same UPDATE. */
  readonly imageVersionId?: string;
}

export const LEASE_EXPIRED_REASON = 'lease expired (server restart)';
const REASON_MAX = 500;

/**
 * Moves a task with ONE conditional UPDATE guarded by `state IN (states allowed before 'to')`: of
 * two racing callers only one matches the row; the other gets a typed error. Never read-then-write.
 */
export async function transitionTask(
  db: Executor,
  taskId: string,
  to: TaskState,
  at: Date,
  options: TransitionOptions = {},
): Promise<TaskRow> {
  const final = isFinalState(to);
  const [row] = await db
    .update(tasks)
    .set({
      state: to,
      updatedAt: at,
      failureReason: final && options.reason ? options.reason.slice(0, REASON_MAX) : undefined,
      startedAt: to === 'IN_PROGRESS' ? sql`coalesce(${tasks.startedAt}, ${at})` : undefined,
      endedAt: final ? at : undefined,
      leaseHolder: final ? null : options.lease?.holder,
      leaseExpiresAt: final ? null : options.lease?.expiresAt,
      imageVersionId: to === 'COMPLETE' ? options.imageVersionId : undefined,
    })
    .where(and(eq(tasks.id, taskId), inArray(tasks.state, statesAllowedBefore(to))))
    .returning();
  if (row) return row;
  const current = await selectTask(db, taskId);
  if (!current) throw new TaskNotFoundError(taskId);
  if (isFinalState(current.state)) throw new TaskAlreadyFinalError(current.state);
  throw new InvalidTaskTransitionError(current.state, to);
}

/**
 * Tasks a client was running when the server stopped: their lease ran out with nobody renewing it.
 * They FAIL with a reason rather than go back to QUEUED: a capture publishes its version atomically
 * at the end, so nothing partial is visible, and re-running it is an operator's decision (the disk
 * may have changed); a half-written deploy target must not silently look "queued" either.
 */
export async function failExpiredLeases(db: Executor, at: Date): Promise<TaskRow[]> {
  return db
    .update(tasks)
    .set({
      state: 'FAILED',
      failureReason: LEASE_EXPIRED_REASON,
      endedAt: at,
      updatedAt: at,
      leaseHolder: null,
      leaseExpiresAt: null,
    })
    .where(
      and(
        inArray(tasks.state, ['CHECKED_IN', 'IN_PROGRESS']),
        or(isNull(tasks.leaseExpiresAt), lt(tasks.leaseExpiresAt, at)),
      ),
    )
    .returning();
}

/**
 * While the server runs: tasks whose client lease ran out before `expiredBefore` (a client that
 * died, or lost the network for good) FAIL with `reason`. Only leased tasks: a running task
 * without a lease is driven by the server itself (e.g. multicast), not by a client.
 */
export async function failLapsedLeases(
  db: Executor,
  expiredBefore: Date,
  at: Date,
  reason: string,
): Promise<TaskRow[]> {
  return db
    .update(tasks)
    .set({
      state: 'FAILED',
      failureReason: reason.slice(0, REASON_MAX),
      endedAt: at,
      updatedAt: at,
      leaseHolder: null,
      leaseExpiresAt: null,
    })
    .where(and(inArray(tasks.state, ['CHECKED_IN', 'IN_PROGRESS']), lt(tasks.leaseExpiresAt, expiredBefore)))
    .returning();
}

/** Extends the lease of a running task, only for its holder and only while it is running. */
export async function renewTaskLease(
  db: Executor,
  taskId: string,
  holder: string,
  expiresAt: Date,
): Promise<boolean> {
  const rows = await db
    .update(tasks)
    .set({ leaseExpiresAt: expiresAt })
    .where(
      and(
        eq(tasks.id, taskId),
        eq(tasks.leaseHolder, holder),
        inArray(tasks.state, ['CHECKED_IN', 'IN_PROGRESS']),
      ),
    )
    .returning({ id: tasks.id });
  return rows.length === 1;
}
