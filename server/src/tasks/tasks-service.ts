import { and, eq, inArray } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { Executor } from '../db/database.ts';
import { InputValidationError } from '../graphql/input-validation-error.ts';
import {
  ImageDisabledError,
  ImageHasNoVersionError,
  ImageIsReplicaError,
  ImageNotFoundError,
  ImageProtectedError,
} from '../images/image-errors.ts';
import { lockImage, selectCurrentVersion } from '../images/image-store.ts';
import type { ImageRow } from '../images/images-table.ts';
import {
  ImageCaptureInProgressError,
  TaskAlreadyFinalError,
  TaskTypeUnsupportedError,
} from './task-errors.ts';
import type { TaskEventKind, TaskProgress } from './task-events.ts';
import { type TaskType, UNSUPPORTED_TASK_TYPES, WIPE_TASK_TYPES, type WipeMode } from './task-kinds.ts';
import { createTaskProgressReporter, progressOfRow } from './task-progress.ts';
import { assertHostsReady, insertTasks, type TaskSpec } from './task-queue.ts';
import { ACTIVE_TASK_STATES, type TaskState } from './task-state-machine.ts';
import * as store from './task-store.ts';
import {
  failExpiredLeases,
  failLapsedLeases,
  renewTaskLease,
  type TransitionOptions,
  transitionTask,
} from './task-transitions.ts';
import { type TaskRow, tasks } from './tasks-table.ts';

/** Who asked: recorded as the task's creator. */
export interface Actor {
  readonly userId: string | null;
}

export const MAX_HOSTS_PER_REQUEST = 1000;

/** FOG's single scheduled task: the task waits, QUEUED, until then (check-in ignores it before). */
export interface Schedule {
  readonly scheduledAt?: Date | null;
}
const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3_600_000;
// A time a little in the past (a slow form, clocks a few seconds apart) means "now".
const PAST_TOLERANCE_MS = 60_000;

function scheduleOf(at: Date | null | undefined, now: Date): Date | null {
  if (at == null) return null;
  const ahead = at.getTime() - now.getTime();
  const problem =
    ahead < -PAST_TOLERANCE_MS
      ? 'in the past'
      : ahead > MAX_SCHEDULE_AHEAD_MS
        ? 'more than a year ahead'
        : null;
  if (problem) throw new InputValidationError([{ path: ['input', 'scheduledAt'], message: problem }]);
  return ahead > 0 ? at : null;
}

function uniqueHostIds(hostIds: readonly string[]): string[] {
  const unique = [...new Set(hostIds)];
  if (unique.length === 0 || unique.length > MAX_HOSTS_PER_REQUEST) {
    throw new InputValidationError([
      { path: ['input', 'hostIds'], message: `between 1 and ${MAX_HOSTS_PER_REQUEST} hosts` },
    ]);
  }
  return unique;
}

async function mustShareImage(db: Executor, imageId: string): Promise<ImageRow> {
  const image = await lockImage(db, imageId, 'share');
  if (!image) throw new ImageNotFoundError(imageId);
  return image;
}

async function assertNoActiveCapture(db: Executor, imageId: string): Promise<void> {
  const [row] = await db
    .select({ id: tasks.id })
    .from(tasks)
    .where(
      and(
        eq(tasks.imageId, imageId),
        eq(tasks.type, 'CAPTURE'),
        inArray(tasks.state, [...ACTIVE_TASK_STATES]),
      ),
    )
    .limit(1);
  if (row) throw new ImageCaptureInProgressError(imageId);
}

export function createTasksService(deps: ServiceDeps) {
  const { db, pubsub, now } = deps;
  /** Told of every state change once committed (webhooks); a listener never throws. */
  const stateListeners: ((task: TaskRow) => void)[] = [];
  const publish = (kind: TaskEventKind, task: TaskRow) => {
    pubsub.publish('taskEvents', { kind, task });
    if (kind === 'STATE_CHANGED') for (const listener of stateListeners) listener(task);
  };
  const progress = createTaskProgressReporter(deps);
  /** Told of every task once its creation is committed (Wake-on-LAN wakes the hosts). */
  const queuedListeners: ((created: readonly TaskRow[]) => void)[] = [];

  async function queue(
    build: (tx: Executor) => Promise<TaskSpec[]>,
    scheduledAt?: Date | null,
  ): Promise<TaskRow[]> {
    const at = scheduleOf(scheduledAt, now());
    const created = await db.transaction(async (tx) => {
      const specs = (await build(tx)).map((s) => (at ? { ...s, scheduledAt: at } : s));
      await assertHostsReady(
        tx,
        specs.map((s) => s.hostId),
      );
      return insertTasks(tx, specs, now());
    });
    announce(created);
    return created;
  }

  /** Tasks committed (here or by a domain inserting its own, multicast): CREATED, then listeners. */
  function announce(created: readonly TaskRow[]): void {
    for (const task of created) publish('CREATED', task);
    for (const listener of queuedListeners) listener(created);
  }

  const simple = (type: TaskType, input: { hostIds: readonly string[] } & Schedule, actor: Actor) =>
    queue(
      async () => uniqueHostIds(input.hostIds).map((hostId) => ({ type, hostId, createdById: actor.userId })),
      input.scheduledAt,
    );

  async function transition(
    taskId: string,
    to: TaskState,
    options: TransitionOptions = {},
  ): Promise<TaskRow> {
    const task = await transitionTask(db, taskId, to, now(), options);
    publish('STATE_CHANGED', task);
    if (to === 'FAILED' || to === 'CANCELLED' || to === 'COMPLETE') progress.forget(taskId);
    return task;
  }

  return {
    ...progress.api,
    transition,
    onQueued(listener: (created: readonly TaskRow[]) => void): void {
      queuedListeners.push(listener);
    },
    announce,
    onStateChanged(listener: (task: TaskRow) => void): void {
      stateListeners.push(listener);
    },

    /** Refused for a protected image, a pending or busy host, or while another capture writes it. */
    async startCapture(
      input: { hostId: string; imageId: string } & Schedule,
      actor: Actor,
    ): Promise<TaskRow> {
      const [task] = await queue(async (tx) => {
        const image = await mustShareImage(tx, input.imageId);
        if (image.protected) throw new ImageProtectedError(image.id);
        if (image.replicaOf !== null) throw new ImageIsReplicaError(image.id, image.replicaOf);
        await assertNoActiveCapture(tx, image.id);
        return [{ type: 'CAPTURE', hostId: input.hostId, imageId: image.id, createdById: actor.userId }];
      }, input.scheduledAt);
      return task!;
    },

    /**
     * All or nothing: every host gets a task pinned to the image's current version, or none does.
     * A scheduled deploy is pinned now: it writes the version the operator saw when scheduling.
     */
    startDeploy(
      input: { hostIds: readonly string[]; imageId: string } & Schedule,
      actor: Actor,
    ): Promise<TaskRow[]> {
      const hostIds = uniqueHostIds(input.hostIds);
      return queue(async (tx) => {
        const image = await mustShareImage(tx, input.imageId);
        if (!image.enabled) throw new ImageDisabledError(image.id);
        const version = await selectCurrentVersion(tx, image.id);
        if (!version) throw new ImageHasNoVersionError(image.id);
        return hostIds.map((hostId) => ({
          type: 'DEPLOY' as const,
          hostId,
          imageId: image.id,
          imageVersionId: version.id,
          createdById: actor.userId,
        }));
      }, input.scheduledAt);
    },

    startInventory: (input: { hostIds: readonly string[] } & Schedule, actor: Actor) =>
      simple('INVENTORY', input, actor),

    async startWipe(input: { hostId: string; mode: WipeMode } & Schedule, actor: Actor): Promise<TaskRow> {
      const [task] = await simple(WIPE_TASK_TYPES[input.mode], { ...input, hostIds: [input.hostId] }, actor);
      return task!;
    },

    /** Queues a FOG task type that needs no image (inventory, memtest, wake-up, wipes...). */
    startHostTask(input: { type: TaskType; hostIds: readonly string[] } & Schedule, actor: Actor) {
      if (UNSUPPORTED_TASK_TYPES.includes(input.type)) throw new TaskTypeUnsupportedError(input.type);
      return simple(input.type, input, actor);
    },

    async cancelTask(id: string, reason = 'cancelled by an operator'): Promise<TaskRow> {
      const current = await store.selectTask(db, id);
      if (current && !ACTIVE_TASK_STATES.includes(current.state))
        throw new TaskAlreadyFinalError(current.state);
      return transition(id, 'CANCELLED', { reason });
    },

    /** Called once at server start (and safe to call any time): see `failExpiredLeases`. */
    async reconcileExpiredLeases(at: Date = now()): Promise<TaskRow[]> {
      const failed = await failExpiredLeases(db, at);
      for (const task of failed) {
        publish('STATE_CHANGED', task);
        progress.forget(task.id);
      }
      return failed;
    },

    /** While running: fails tasks whose lease ran out before `expiredBefore` (see `failLapsedLeases`). */
    async failLapsedLeases(expiredBefore: Date, reason: string, at: Date = now()): Promise<TaskRow[]> {
      const failed = await failLapsedLeases(db, expiredBefore, at, reason);
      for (const task of failed) {
        publish('STATE_CHANGED', task);
        progress.forget(task.id);
      }
      return failed;
    },

    /**
     * The task's last checkpoint, then live counters; undefined for an unknown task. A report that
     * lands between the checkpoint read and the live stream starting is harmless: counters are
     * cumulative, the next report supersedes it, and the final one is always written to the row.
     */
    async watchProgress(taskId: string): Promise<AsyncIterable<TaskProgress> | undefined> {
      const live = pubsub.subscribe('taskProgress', { key: taskId, bufferSize: 1 });
      const row = await store.selectTask(db, taskId).catch(() => undefined);
      if (!row) {
        await live.return();
        return undefined;
      }
      // A generator pulls from `live` only when its reader asks: the 1-slot buffer then hands a
      // slow reader the newest counters instead of a backlog (an eager merge would hold a stale one).
      return (async function* () {
        try {
          yield progressOfRow(row);
          yield* live;
        } finally {
          await live.return();
        }
      })();
    },

    renewLease: (taskId: string, holder: string, expiresAt: Date) =>
      renewTaskLease(db, taskId, holder, expiresAt),
    queueTasks: (specs: readonly TaskSpec[]) => queue(async () => [...specs]),
    getTask: (id: string) => store.selectTask(db, id),
    getTasks: (ids: readonly string[]) => store.selectTasksByIds(db, ids),
    countTasks: (filter: store.TaskFilter) => store.countTasks(db, filter),
    listTasks: (filter: store.TaskFilter, window: { offset: number; limit: number }) =>
      store.pageTasks(db, filter, window),
  };
}

export type TasksService = ReturnType<typeof createTasksService>;
