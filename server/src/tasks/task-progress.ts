import { eq } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { TaskProgress } from './task-events.ts';
import { type TaskRow, tasks } from './tasks-table.ts';

/** What the engine reports: cumulative counters (never deltas), so any one report is complete. */
export interface ProgressCounters {
  readonly blocksDone: number;
  readonly blocksTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly rateBytesPerSecond: number;
  readonly phase?: string | null;
  readonly partition?: number | null;
}

/** The row is a checkpoint for late joiners, not a log: one write every few seconds is plenty. */
export const PROGRESS_DB_WRITE_INTERVAL_MS = 2000;

export function etaSeconds(c: ProgressCounters): number | null {
  if (c.rateBytesPerSecond <= 0 || c.bytesTotal <= 0) return null;
  return Math.max(0, Math.round((c.bytesTotal - c.bytesDone) / c.rateBytesPerSecond));
}

export function toProgress(taskId: string, c: ProgressCounters): TaskProgress {
  return {
    taskId,
    blocksDone: c.blocksDone,
    blocksTotal: c.blocksTotal,
    bytesDone: c.bytesDone,
    bytesTotal: c.bytesTotal,
    rateBytesPerSecond: c.rateBytesPerSecond,
    etaSeconds: etaSeconds(c),
    phase: c.phase ?? null,
    partition: c.partition ?? null,
  };
}

export function progressOfRow(row: TaskRow): TaskProgress {
  return toProgress(row.id, row);
}

const isComplete = (c: ProgressCounters) => c.blocksTotal > 0 && c.blocksDone >= c.blocksTotal;

/**
 * Publishes every report at once (each subscriber's own 1-slot sliding buffer coalesces for slow
 * readers) and writes the row at most every PROGRESS_DB_WRITE_INTERVAL_MS per task, plus always on
 * a phase change or the final block so the checkpoint never misses the end.
 */
export function createTaskProgressReporter({ db, pubsub, now }: ServiceDeps) {
  const lastWrite = new Map<string, { at: number; phase: string | null }>();

  async function write(taskId: string, c: ProgressCounters): Promise<void> {
    await db
      .update(tasks)
      .set({
        blocksDone: c.blocksDone,
        blocksTotal: c.blocksTotal,
        bytesDone: c.bytesDone,
        bytesTotal: c.bytesTotal,
        rateBytesPerSecond: c.rateBytesPerSecond,
        phase: c.phase ?? null,
        partition: c.partition ?? null,
      })
      .where(eq(tasks.id, taskId));
  }

  return {
    forget: (taskId: string) => lastWrite.delete(taskId),
    api: {
      /**
       * Writes the row's progress columns only (never its state), unthrottled: for a caller that
       * publishes its own richer events and throttles itself (the data plane's progress hub).
       */
      saveProgressCheckpoint: write,
      /** Returns whether the row was written this time (for tests and metrics). */
      async reportProgress(taskId: string, counters: ProgressCounters): Promise<boolean> {
        pubsub.publish('taskProgress', toProgress(taskId, counters), taskId);
        const at = now().getTime();
        const phase = counters.phase ?? null;
        const last = lastWrite.get(taskId);
        const due =
          !last ||
          at - last.at >= PROGRESS_DB_WRITE_INTERVAL_MS ||
          last.phase !== phase ||
          isComplete(counters);
        if (!due) return false;
        lastWrite.set(taskId, { at, phase });
        await write(taskId, counters);
        return true;
      },
    },
  };
}
