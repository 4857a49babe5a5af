/**
 * FOG's cron-style scheduled tasks: "every weekday at 2 a.m., deploy win11 to the Lab A group".
 * At each run the schedule queues one task per host through the tasks service, host by host: a
 * busy or pending machine is named in the outcome and does not stop the thirty others.
 *
 * A run that was due while the server was down is made up if the server is back within ten
 * minutes; later than that it is skipped and the outcome says so. A nightly wipe firing at 9 a.m.
 * in front of a class would be worse than a missed night.
 */
import { and, asc, count, eq, inArray, isNotNull, lte, min } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { AuditService } from '../audit/audit-service.ts';
import type { Executor } from '../db/database.ts';
import { InputValidationError } from '../graphql/input-validation-error.ts';
import { GroupNotFoundError } from '../groups/group-errors.ts';
import { groupMembers, groups } from '../groups/groups-table.ts';
import { HostNotFoundError } from '../hosts/host-errors.ts';
import { type HostRecord, selectHostsByIds } from '../hosts/host-store.ts';
import { hosts } from '../hosts/hosts-table.ts';
import { ImageNotFoundError } from '../images/image-errors.ts';
import { images } from '../images/images-table.ts';
import { createDueLoop } from '../tasks/due-loop.ts';
import { IMAGELESS_TYPES, type TaskType, UNSUPPORTED_TASK_TYPES } from '../tasks/task-kinds.ts';
import type { Actor, TasksService } from '../tasks/tasks-service.ts';
import { TaskScheduleNotFoundError } from './schedule-errors.ts';
import { cronProblem, nextRunAfter, serverTimezone, timezoneProblem } from './schedule-rules.ts';
import { type TaskScheduleRow, taskScheduleHosts, taskSchedules } from './schedules-table.ts';

export const SCHEDULABLE_TYPES: readonly TaskType[] = (
  ['DEPLOY', 'CAPTURE', ...IMAGELESS_TYPES] as TaskType[]
).filter((t) => !UNSUPPORTED_TASK_TYPES.includes(t));
const IMAGE_TYPES: readonly TaskType[] = ['DEPLOY', 'CAPTURE'];
const MAX_HOSTS = 1000;
/** A run due while the server was down is made up only this late. */
export const MAX_LATE_MS = 10 * 60_000;
const OUTCOME_MAX = 1000;

export interface CreateScheduleInput {
  readonly name: string;
  readonly cron: string;
  readonly timezone?: string | null;
  readonly type: TaskType;
  readonly hostIds?: readonly string[] | null;
  readonly groupId?: string | null;
  readonly imageId?: string | null;
  readonly enabled?: boolean | null;
}

type Issue = { path: string[]; message: string };

function inputIssues(input: CreateScheduleInput, timezone: string, hostIds: readonly string[]): Issue[] {
  const issues: Issue[] = [];
  const at = (field: string, message: string) => issues.push({ path: ['input', field], message });
  const name = input.name.trim();
  if (name.length === 0 || name.length > 64) at('name', '1 to 64 characters');
  const zone = timezoneProblem(timezone);
  if (zone) at('timezone', zone);
  else {
    const cron = cronProblem(input.cron, timezone);
    if (cron) at('cron', cron);
  }
  if (!SCHEDULABLE_TYPES.includes(input.type)) at('type', `one of ${SCHEDULABLE_TYPES.join(', ')}`);
  if (hostIds.length > 0 === (input.groupId != null)) at('hostIds', 'name hosts or a group (one of the two)');
  if (hostIds.length > MAX_HOSTS) at('hostIds', `at most ${MAX_HOSTS} hosts`);
  const needsImage = IMAGE_TYPES.includes(input.type);
  if (needsImage && input.imageId == null) at('imageId', `a ${input.type.toLowerCase()} needs an image`);
  if (!needsImage && input.imageId != null) at('imageId', `a ${input.type.toLowerCase()} takes no image`);
  if (input.type === 'CAPTURE' && (input.groupId != null || hostIds.length > 1)) {
    at('hostIds', 'a capture reads one host');
  }
  return issues;
}

export interface UpdateScheduleInput extends Partial<Omit<CreateScheduleInput, 'enabled'>> {
  readonly id: string;
}

/** Typed errors for a host, group or image that does not exist (checked inside the write). */
async function assertTargetsExist(
  tx: Executor,
  hostIds: readonly string[],
  groupId: string | null,
  imageId: string | null,
): Promise<void> {
  const found = hostIds.length
    ? await tx
        .select({ id: hosts.id })
        .from(hosts)
        .where(inArray(hosts.id, [...hostIds]))
    : [];
  const missing = hostIds.find((id) => !found.some((f) => f.id === id));
  if (missing) throw new HostNotFoundError(missing);
  if (groupId !== null) {
    const [group] = await tx.select({ id: groups.id }).from(groups).where(eq(groups.id, groupId));
    if (!group) throw new GroupNotFoundError(groupId);
  }
  if (imageId !== null) {
    const [image] = await tx.select({ id: images.id }).from(images).where(eq(images.id, imageId));
    if (!image) throw new ImageNotFoundError(imageId);
  }
}

export function createSchedulesService(
  deps: ServiceDeps,
  others: { tasks: TasksService; audit: Pick<AuditService, 'append'> },
) {
  const { db, now } = deps;
  const log = deps.log.child({ service: 'task-schedules' });

  async function mustGet(id: string): Promise<TaskScheduleRow> {
    const [row] = await db.select().from(taskSchedules).where(eq(taskSchedules.id, id));
    if (!row) throw new TaskScheduleNotFoundError(id);
    return row;
  }

  async function hostsOf(schedule: TaskScheduleRow): Promise<HostRecord[]> {
    const ids = schedule.groupId
      ? await db
          .select({ id: groupMembers.hostId })
          .from(groupMembers)
          .where(eq(groupMembers.groupId, schedule.groupId))
      : await db
          .select({ id: taskScheduleHosts.hostId })
          .from(taskScheduleHosts)
          .where(eq(taskScheduleHosts.scheduleId, schedule.id));
    const found = await selectHostsByIds(
      db,
      ids.map((r) => r.id),
    );
    return found.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One task for one host, through the same service calls (and checks) as the mutations. */
  function queueFor(schedule: TaskScheduleRow, hostId: string, actor: Actor) {
    const imageId = schedule.imageId ?? '';
    if (schedule.type === 'DEPLOY') return others.tasks.startDeploy({ hostIds: [hostId], imageId }, actor);
    if (schedule.type === 'CAPTURE') return others.tasks.startCapture({ hostId, imageId }, actor);
    return others.tasks.startHostTask({ type: schedule.type, hostIds: [hostId] }, actor);
  }

  async function runOnce(schedule: TaskScheduleRow): Promise<string> {
    const targets = await hostsOf(schedule);
    if (targets.length === 0) return 'no hosts to run on';
    const actor = { userId: schedule.createdById };
    const failures: string[] = [];
    for (const host of targets) {
      await queueFor(schedule, host.id, actor).catch((err: unknown) =>
        failures.push(`${host.name}: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
    const queued = targets.length - failures.length;
    return [`queued ${queued} of ${targets.length} tasks`, ...failures].join('; ');
  }

  /**
   * One run, recorded on the schedule and in the audit log: the tasks it queued appear there under
   * the scheduler's name (acting for the schedule's creator), not out of nowhere.
   */
  async function record(
    schedule: TaskScheduleRow,
    how: 'due' | 'skipped' | 'now',
    outcome: string,
    at: Date,
    nextRunAt: Date | null,
  ): Promise<TaskScheduleRow> {
    log.info({ schedule: schedule.name, outcome }, how === 'skipped' ? 'schedule skipped' : 'schedule ran');
    const [row] = await db
      .update(taskSchedules)
      .set({
        lastRunAt: how === 'skipped' ? schedule.lastRunAt : at,
        lastOutcome: outcome.slice(0, OUTCOME_MAX),
        nextRunAt,
        updatedAt: at,
      })
      .where(eq(taskSchedules.id, schedule.id))
      .returning();
    await others.audit
      .append({
        actorUserId: schedule.createdById,
        actorTokenId: null,
        actorName: 'scheduler',
        action: how === 'now' ? 'schedule.runNow' : 'schedule.run',
        targetIds: [schedule.id],
        input: { name: schedule.name, cron: schedule.cron, type: schedule.type },
        allowed: true,
        outcome: outcome.slice(0, OUTCOME_MAX),
        clientAddress: null,
        requestId: null,
      })
      .catch(() => undefined);
    return row ?? schedule;
  }

  const runOrFail = (schedule: TaskScheduleRow) =>
    runOnce(schedule).catch((err: unknown) => `failed: ${err instanceof Error ? err.message : err}`);

  /** Runs every schedule that is due, then moves each to its next time. Returns how many ran. */
  async function runDue(): Promise<number> {
    const at = now();
    const due = await db
      .select()
      .from(taskSchedules)
      .where(and(eq(taskSchedules.enabled, true), lte(taskSchedules.nextRunAt, at)))
      .orderBy(asc(taskSchedules.nextRunAt));
    for (const schedule of due) {
      const dueAt = schedule.nextRunAt ?? at;
      const late = at.getTime() - dueAt.getTime() > MAX_LATE_MS;
      const outcome = late
        ? `skipped the run due at ${dueAt.toISOString()}: the server was not running then`
        : await runOrFail(schedule);
      await record(
        schedule,
        late ? 'skipped' : 'due',
        outcome,
        at,
        nextRunAfter(schedule.cron, schedule.timezone, at),
      );
    }
    return due.length;
  }

  const loop = createDueLoop({
    run: runDue,
    nextDue: async () => {
      const [next] = await db
        .select({ at: min(taskSchedules.nextRunAt) })
        .from(taskSchedules)
        .where(and(eq(taskSchedules.enabled, true), isNotNull(taskSchedules.nextRunAt)));
      return next?.at ?? null;
    },
    now,
    log,
    what: 'schedule',
  });
  /** Re-aims the timer after a change, without waiting for it. */
  const changed = <T>(value: T): T => {
    void loop.pass();
    return value;
  };

  return {
    async createSchedule(input: CreateScheduleInput, actor: Actor): Promise<TaskScheduleRow> {
      const timezone = input.timezone?.trim() || serverTimezone();
      const hostIds = [...new Set(input.hostIds ?? [])];
      const issues = inputIssues(input, timezone, hostIds);
      if (issues.length > 0) throw new InputValidationError(issues);
      const enabled = input.enabled ?? true;
      const row = await db.transaction(async (tx) => {
        await assertTargetsExist(tx, hostIds, input.groupId ?? null, input.imageId ?? null);
        const [created] = await tx
          .insert(taskSchedules)
          .values({
            name: input.name.trim(),
            cron: input.cron.trim(),
            timezone,
            type: input.type,
            groupId: input.groupId ?? null,
            imageId: input.imageId ?? null,
            enabled,
            nextRunAt: enabled ? nextRunAfter(input.cron, timezone, now()) : null,
            createdById: actor.userId,
          })
          .returning();
        if (hostIds.length) {
          await tx
            .insert(taskScheduleHosts)
            .values(hostIds.map((hostId) => ({ scheduleId: created!.id, hostId })));
        }
        return created!;
      });
      return changed(row);
    },

    /** Runs it once now, enabled or not; its next run stays where it was. */
    async runNow(id: string): Promise<TaskScheduleRow> {
      const schedule = await mustGet(id);
      return record(schedule, 'now', await runOrFail(schedule), now(), schedule.nextRunAt);
    },

    /**
     * Changes what is given; the result is checked as a new schedule would be (every problem
     * named, nothing changed). New hosts replace the old ones; hosts and a group exclude each other.
     */
    async updateSchedule(input: UpdateScheduleInput): Promise<TaskScheduleRow> {
      const current = await mustGet(input.id);
      const named = await db
        .select({ id: taskScheduleHosts.hostId })
        .from(taskScheduleHosts)
        .where(eq(taskScheduleHosts.scheduleId, current.id));
      const retarget = input.hostIds != null || input.groupId != null;
      const merged: CreateScheduleInput = {
        name: input.name ?? current.name,
        cron: input.cron ?? current.cron,
        timezone: input.timezone ?? current.timezone,
        type: input.type ?? current.type,
        hostIds: retarget ? (input.hostIds ?? []) : named.map((h) => h.id),
        groupId: retarget ? (input.groupId ?? null) : current.groupId,
        imageId: input.imageId !== undefined ? input.imageId : current.imageId,
      };
      const hostIds = [...new Set(merged.hostIds ?? [])];
      const timezone = merged.timezone?.trim() || serverTimezone();
      const issues = inputIssues(merged, timezone, hostIds);
      if (issues.length > 0) throw new InputValidationError(issues);
      const row = await db.transaction(async (tx) => {
        await assertTargetsExist(tx, hostIds, merged.groupId ?? null, merged.imageId ?? null);
        const [updated] = await tx
          .update(taskSchedules)
          .set({
            name: merged.name.trim(),
            cron: merged.cron.trim(),
            timezone,
            type: merged.type,
            groupId: merged.groupId ?? null,
            imageId: merged.imageId ?? null,
            nextRunAt: current.enabled ? nextRunAfter(merged.cron, timezone, now()) : null,
            updatedAt: now(),
          })
          .where(eq(taskSchedules.id, current.id))
          .returning();
        if (!updated) throw new TaskScheduleNotFoundError(current.id);
        if (retarget) {
          await tx.delete(taskScheduleHosts).where(eq(taskScheduleHosts.scheduleId, current.id));
          if (hostIds.length) {
            await tx
              .insert(taskScheduleHosts)
              .values(hostIds.map((hostId) => ({ scheduleId: current.id, hostId })));
          }
        }
        return updated;
      });
      return changed(row);
    },

    /** Enabling aims at the next time from now (runs missed while disabled are not made up). */
    async setEnabled(id: string, enabled: boolean): Promise<TaskScheduleRow> {
      const schedule = await mustGet(id);
      const [row] = await db
        .update(taskSchedules)
        .set({
          enabled,
          nextRunAt: enabled ? nextRunAfter(schedule.cron, schedule.timezone, now()) : null,
          updatedAt: now(),
        })
        .where(eq(taskSchedules.id, id))
        .returning();
      if (!row) throw new TaskScheduleNotFoundError(id);
      return changed(row);
    },

    /** Tasks it already queued stay. */
    async deleteSchedule(id: string): Promise<TaskScheduleRow> {
      const [row] = await db.delete(taskSchedules).where(eq(taskSchedules.id, id)).returning();
      if (!row) throw new TaskScheduleNotFoundError(id);
      return changed(row);
    },

    getSchedules: (ids: readonly string[]) =>
      ids.length === 0
        ? Promise.resolve([])
        : db
            .select()
            .from(taskSchedules)
            .where(inArray(taskSchedules.id, [...ids])),
    countSchedules: async () => (await db.select({ n: count() }).from(taskSchedules))[0]?.n ?? 0,
    listSchedules: (window: { offset: number; limit: number }) =>
      db
        .select()
        .from(taskSchedules)
        .orderBy(asc(taskSchedules.createdAt), asc(taskSchedules.id))
        .offset(window.offset)
        .limit(window.limit),
    /** The hosts a schedule names itself (empty for a group schedule). */
    namedHosts: async (scheduleId: string): Promise<HostRecord[]> => {
      const rows = await db
        .select({ id: taskScheduleHosts.hostId })
        .from(taskScheduleHosts)
        .where(eq(taskScheduleHosts.scheduleId, scheduleId));
      return selectHostsByIds(
        db,
        rows.map((r) => r.id),
      );
    },

    runDue,
    /** First pass (runs missed while down, within the grace), then the timer keeps going. */
    start: loop.pass,
    stop: loop.stop,
  };
}

export type SchedulesService = ReturnType<typeof createSchedulesService>;
