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

export function createSchedulesService(deps: ServiceDeps, others: { tasks: TasksService }) {
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
        : await runOnce(schedule).catch(
            (err: unknown) => `failed: ${err instanceof Error ? err.message : err}`,
          );
      log.info({ schedule: schedule.name, outcome }, late ? 'schedule skipped' : 'schedule ran');
      await db
        .update(taskSchedules)
        .set({
          lastRunAt: late ? schedule.lastRunAt : at,
          lastOutcome: outcome.slice(0, OUTCOME_MAX),
          nextRunAt: nextRunAfter(schedule.cron, schedule.timezone, at),
          updatedAt: at,
        })
        .where(eq(taskSchedules.id, schedule.id));
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
        const found = hostIds.length
          ? await tx.select({ id: hosts.id }).from(hosts).where(inArray(hosts.id, hostIds))
          : [];
        const missing = hostIds.find((id) => !found.some((f) => f.id === id));
        if (missing) throw new HostNotFoundError(missing);
        if (input.groupId != null) {
          const [group] = await tx.select({ id: groups.id }).from(groups).where(eq(groups.id, input.groupId));
          if (!group) throw new GroupNotFoundError(input.groupId);
        }
        if (input.imageId != null) {
          const [image] = await tx.select({ id: images.id }).from(images).where(eq(images.id, input.imageId));
          if (!image) throw new ImageNotFoundError(input.imageId);
        }
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
