/**
 * Turns the sender's snapshots into receiver rows, task states and multicastProgress events.
 * Rows are written when a receiver's state changes or its counters are 2 s old; task moves are
 * idempotent (a task already final stays as it is).
 */

import { and, eq, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../../db/database.ts';
import { BrumeError } from '../../graphql/brume-error.ts';
import type { TaskState } from '../../tasks/task-state-machine.ts';
import type { TasksService } from '../../tasks/tasks-service.ts';
import type { ReceiverState } from '../multicast-states.ts';
import { ACTIVE_RECEIVER_STATES } from '../multicast-states.ts';
import { multicastReceivers } from '../multicast-table.ts';
import type { ReceiverProgress } from '../sender/ports.ts';

const PHASE_STATE: Record<ReceiverProgress['phase'], ReceiverState> = {
  joined: 'JOINED',
  receiving: 'RECEIVING',
  complete: 'COMPLETE',
  failed: 'FAILED',
};

/** One row of the multicastProgress subscription. */
export interface ReceiverProgressRow {
  readonly hostId: string;
  readonly state: ReceiverState;
  readonly blocksDone: number;
  readonly blocksTotal: number;
  readonly bytesDone: number;
  readonly lossPermille: number;
  readonly failureReason: string | null;
}

interface Seen {
  row: ReceiverProgressRow;
  writtenAt: number;
  taskMoved: boolean;
}

export interface TrackerDeps {
  readonly db: Database;
  readonly tasks: TasksService;
  readonly log: Logger;
  /** A receiver reported complete: its agent completes the task; after this grace the runner does. */
  readonly completeGraceMs: number;
}

export class ReceiverTracker {
  private readonly seen = new Map<string, Seen>();
  private readonly hostOf = new Map<string, string>();
  private readonly taskOf = new Map<string, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly deps: TrackerDeps;
  private readonly sessionId: string;

  constructor(deps: TrackerDeps, sessionId: string) {
    this.deps = deps;
    this.sessionId = sessionId;
  }

  /** The ticket of this host names this receiver id (hex); its task is the one checked in. */
  bind(receiverIdHex: string, hostId: string, taskId: string): void {
    this.hostOf.set(receiverIdHex, hostId);
    this.taskOf.set(hostId, taskId);
  }

  /** Hosts that got a ticket for this session. */
  get ticketCount(): number {
    return this.taskOf.size;
  }

  rows(): ReceiverProgressRow[] {
    return [...this.seen.values()].map((s) => s.row).sort((a, b) => a.hostId.localeCompare(b.hostId));
  }

  /** Applies one snapshot's receivers; resolves when the rows and task moves it caused are done. */
  async apply(receivers: readonly ReceiverProgress[], now: number): Promise<void> {
    for (const r of receivers) {
      const hostId = this.hostOf.get(r.receiverId);
      if (!hostId) continue;
      const row: ReceiverProgressRow = {
        hostId,
        state: PHASE_STATE[r.phase],
        blocksDone: r.blocksDone,
        blocksTotal: r.blocksTotal,
        bytesDone: r.bytesDone,
        lossPermille: Math.round(r.lossPermille),
        failureReason: r.failReason,
      };
      const before = this.seen.get(hostId);
      const changed = before?.row.state !== row.state;
      const entry: Seen = before ?? { row, writtenAt: 0, taskMoved: false };
      entry.row = row;
      this.seen.set(hostId, entry);
      if (changed || now - entry.writtenAt >= 2000) {
        entry.writtenAt = now;
        await this.writeRow(row, before === undefined);
      }
      if (changed) await this.onStateChange(entry);
    }
  }

  private async writeRow(row: ReceiverProgressRow, first: boolean): Promise<void> {
    await this.deps.db
      .update(multicastReceivers)
      .set({
        state: row.state,
        blocksDone: row.blocksDone,
        bytesDone: row.bytesDone,
        updatedAt: new Date(),
        ...(first ? { joinedAt: new Date() } : {}),
      })
      .where(
        and(
          eq(multicastReceivers.sessionId, this.sessionId),
          eq(multicastReceivers.hostId, row.hostId),
          inArray(multicastReceivers.state, [...ACTIVE_RECEIVER_STATES]),
        ),
      );
  }

  private async onStateChange(entry: Seen): Promise<void> {
    const { row } = entry;
    const taskId = this.taskOf.get(row.hostId);
    if (!taskId || entry.taskMoved) return;
    if (row.state === 'FAILED') {
      entry.taskMoved = true;
      await this.moveTask(
        taskId,
        'FAILED',
        `dropped from the multicast session: ${row.failureReason ?? 'failed'}`,
      );
    } else if (row.state === 'COMPLETE') {
      entry.taskMoved = true;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.moveTask(taskId, 'COMPLETE', null);
      }, this.deps.completeGraceMs);
      timer.unref();
      this.timers.add(timer);
    }
  }

  /** Moves a still-active task; a task already final (the agent was first) is left alone. */
  async moveTask(taskId: string, to: TaskState, reason: string | null): Promise<void> {
    const { tasks, log } = this.deps;
    try {
      const task = await tasks.getTask(taskId);
      if (!task || ['COMPLETE', 'FAILED', 'CANCELLED'].includes(task.state)) return;
      if (to === 'COMPLETE' && task.state === 'CHECKED_IN') await tasks.transition(taskId, 'IN_PROGRESS');
      await tasks.transition(taskId, to, reason ? { reason } : {});
    } catch (err) {
      if (err instanceof BrumeError) return;
      log.error({ err, taskId }, 'multicast task move failed');
    }
  }

  /**
   * The session ended: receivers the sender saw complete finish now; every other receiver of
   * the session whose task is still active fails with the reason.
   */
  async finish(reason: string): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const rows = await this.deps.db
      .select()
      .from(multicastReceivers)
      .where(eq(multicastReceivers.sessionId, this.sessionId));
    for (const r of rows) {
      if (!r.taskId) continue;
      const seen = this.seen.get(r.hostId);
      if (seen?.row.state === 'COMPLETE') {
        // Its agent reports completion itself in a moment: only a silent one is completed here.
        const taskId = r.taskId;
        setTimeout(() => void this.moveTask(taskId, 'COMPLETE', null), this.deps.completeGraceMs).unref();
        continue;
      }
      const why = seen ? reason : `never joined the multicast session (${reason})`;
      await this.moveTask(r.taskId, 'FAILED', why);
      await this.deps.db
        .update(multicastReceivers)
        .set({ state: 'FAILED', updatedAt: new Date() })
        .where(
          and(
            eq(multicastReceivers.sessionId, this.sessionId),
            eq(multicastReceivers.hostId, r.hostId),
            inArray(multicastReceivers.state, [...ACTIVE_RECEIVER_STATES]),
          ),
        );
    }
  }
}
