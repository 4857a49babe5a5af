import { and, count, desc, eq, inArray, isNull, lte, or, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/database.ts';
import { onlyUuids } from '../hosts/sql-helpers.ts';
import { isImagingTaskType } from './task-kinds.ts';
import { ACTIVE_TASK_STATES, type TaskState } from './task-state-machine.ts';
import { type TaskRow, tasks } from './tasks-table.ts';

export interface TaskFilter {
  readonly states?: readonly TaskState[] | null;
  readonly hostId?: string | null;
}

export function taskFilter(filter: TaskFilter): SQL | undefined {
  const parts: SQL[] = [];
  if (filter.states && filter.states.length > 0) parts.push(inArray(tasks.state, [...filter.states]));
  if (filter.hostId) parts.push(eq(tasks.hostId, filter.hostId));
  return parts.length > 0 ? and(...parts) : undefined;
}

/** Due at `at`: not scheduled, or scheduled for then or before (FOG's single scheduled task). */
export function dueBy(at: Date): SQL {
  return or(isNull(tasks.scheduledAt), lte(tasks.scheduledAt, at)) as SQL;
}

export async function selectTask(db: Executor, id: string): Promise<TaskRow | undefined> {
  const [row] = await db.select().from(tasks).where(eq(tasks.id, id));
  return row;
}

export async function selectTasksByIds(db: Executor, ids: readonly string[]): Promise<TaskRow[]> {
  const valid = onlyUuids(ids);
  if (valid.length === 0) return [];
  return db.select().from(tasks).where(inArray(tasks.id, valid));
}

export async function pageTasks(db: Executor, filter: TaskFilter, window: { offset: number; limit: number }) {
  return db
    .select()
    .from(tasks)
    .where(taskFilter(filter))
    .orderBy(desc(tasks.createdAt), desc(tasks.id))
    .offset(window.offset)
    .limit(window.limit);
}

export async function countTasks(db: Executor, filter: TaskFilter): Promise<number> {
  const [row] = await db.select({ n: count() }).from(tasks).where(taskFilter(filter));
  return row?.n ?? 0;
}

/** Hosts among `hostIds` that hold an active imaging task (the partial unique index's set). */
export async function activeTaskHosts(db: Executor, hostIds: readonly string[]): Promise<string[]> {
  if (hostIds.length === 0) return [];
  const rows = await db
    .select({ hostId: tasks.hostId, type: tasks.type })
    .from(tasks)
    .where(and(inArray(tasks.hostId, [...hostIds]), inArray(tasks.state, [...ACTIVE_TASK_STATES])));
  return rows.filter((r) => isImagingTaskType(r.type)).map((r) => r.hostId);
}
