import { inArray } from 'drizzle-orm';
import type { Executor } from '../db/database.ts';
import { HostBusyError, HostNotFoundError, HostPendingError } from '../hosts/host-errors.ts';
import { hosts } from '../hosts/hosts-table.ts';
import { uniqueViolation } from '../hosts/sql-helpers.ts';
import { ImageCaptureInProgressError } from './task-errors.ts';
import type { TaskType } from './task-kinds.ts';
import { activeTaskHosts } from './task-store.ts';
import { type TaskRow, tasks } from './tasks-table.ts';

export interface TaskSpec {
  readonly type: TaskType;
  readonly hostId: string;
  readonly imageId?: string | null;
  readonly imageVersionId?: string | null;
  readonly createdById?: string | null;
  readonly scheduledAt?: Date | null;
}

/** Every host exists and is approved; refuses with the first offender, in input order. */
export async function assertHostsReady(db: Executor, hostIds: readonly string[]): Promise<void> {
  const rows = await db
    .select({ id: hosts.id, pending: hosts.pending })
    .from(hosts)
    .where(inArray(hosts.id, [...hostIds]));
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const id of hostIds) {
    const host = byId.get(id);
    if (!host) throw new HostNotFoundError(id);
    if (host.pending) throw new HostPendingError(id);
  }
  const busy = await activeTaskHosts(db, hostIds);
  if (busy[0] !== undefined) throw new HostBusyError(busy[0]);
}

/**
 * Inserts the tasks one by one inside the caller's transaction. The pre-checks above give the
 * friendly error; the partial unique indexes catch what a concurrent caller slipped in between.
 */
export async function insertTasks(db: Executor, specs: readonly TaskSpec[], at: Date): Promise<TaskRow[]> {
  const created: TaskRow[] = [];
  for (const spec of specs) {
    try {
      const [row] = await db
        .insert(tasks)
        .values({ ...spec, state: 'QUEUED', createdAt: at, updatedAt: at })
        .returning();
      created.push(row!);
    } catch (err) {
      const constraint = uniqueViolation(err);
      if (constraint === 'tasks_one_active_imaging_per_host') throw new HostBusyError(spec.hostId);
      if (constraint === 'tasks_one_active_capture_per_image')
        throw new ImageCaptureInProgressError(spec.imageId ?? '');
      throw err;
    }
  }
  return created;
}
