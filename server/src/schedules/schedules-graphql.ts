import { UserRef } from '../auth/auth-graphql-types.ts';
import { builder } from '../graphql/builder.ts';
import { resolveCountedConnection } from '../graphql/connections.ts';
import { defineErrorType } from '../graphql/errors.ts';
import { orderByIds } from '../graphql/load-by-ids.ts';
import { GroupNotFoundError } from '../groups/group-errors.ts';
import { GroupRef, groupIdOf } from '../groups/groups-graphql.ts';
import { HostNotFoundError } from '../hosts/host-errors.ts';
import { hostIdOf } from '../hosts/hosts-graphql.ts';
import { HostRef } from '../hosts/hosts-graphql-types.ts';
import { decodeUuidOf } from '../hosts/inventory-ids.ts';
import { ImageNotFoundError } from '../images/image-errors.ts';
import { imageIdOf } from '../images/images-graphql.ts';
import { ImageRef } from '../images/images-graphql-types.ts';
import { TaskTypeEnum } from '../tasks/tasks-graphql-types.ts';
import { TaskScheduleNotFoundError } from './schedule-errors.ts';
import { SCHEDULABLE_TYPES } from './schedules-service.ts';
import type { TaskScheduleRow } from './schedules-table.ts';

const actorOf = (ctx: { viewer: { userId: string } | null }) => ({ userId: ctx.viewer?.userId ?? null });

export const TaskScheduleRef = builder.objectRef<TaskScheduleRow>('TaskSchedule');

builder.node(TaskScheduleRef, {
  authScopes: { viewer: true },
  description: "FOG's cron-style scheduled task: at each run, one task per host.",
  id: { resolve: (s) => s.id },
  loadMany: async (ids, ctx) => orderByIds(ids, await ctx.services.schedules.getSchedules(ids), (s) => s.id),
  fields: (t) => ({
    name: t.exposeString('name'),
    cron: t.exposeString('cron', { description: 'Five fields, or @daily, @weekly, ...' }),
    timezone: t.exposeString('timezone', { description: 'IANA zone the cron fields are read in.' }),
    type: t.expose('type', { type: TaskTypeEnum }),
    hosts: t.field({
      type: [HostRef],
      description: 'The hosts it names; empty when it runs on a group.',
      resolve: (s, _a, ctx) => ctx.services.schedules.namedHosts(s.id),
    }),
    group: t.field({
      type: GroupRef,
      nullable: true,
      description: 'Runs on the members of this group at each run.',
      resolve: (s, _a, ctx) => (s.groupId ? ctx.services.groups.getGroup(s.groupId) : null),
    }),
    image: t.field({
      type: ImageRef,
      nullable: true,
      resolve: (s, _a, ctx) => (s.imageId ? ctx.services.images.getImage(s.imageId) : null),
    }),
    enabled: t.exposeBoolean('enabled'),
    nextRunAt: t.expose('nextRunAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Null while disabled.',
    }),
    lastRunAt: t.expose('lastRunAt', { type: 'DateTime', nullable: true }),
    lastOutcome: t.exposeString('lastOutcome', {
      nullable: true,
      description: 'What the last run queued and which hosts it could not, or why it was skipped.',
    }),
    createdBy: t.field({
      type: UserRef,
      nullable: true,
      resolve: (s, _a, ctx) => (s.createdById ? ctx.services.auth.users.byId(s.createdById) : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

defineErrorType(TaskScheduleNotFoundError, 'TaskScheduleNotFoundError');

function scheduleIdOf(globalId: string | number | bigint): string {
  const id = decodeUuidOf(globalId, 'TaskSchedule');
  if (!id) throw new TaskScheduleNotFoundError(String(globalId).slice(0, 100));
  return id;
}

const SchedulePayload = (name: string) =>
  builder.objectRef<{ schedule: TaskScheduleRow }>(name).implement({
    authScopes: { viewer: true },
    fields: (t) => ({ schedule: t.expose('schedule', { type: TaskScheduleRef }) }),
  });

const CreateTaskScheduleInput = builder.inputType('CreateTaskScheduleInput', {
  fields: (t) => ({
    name: t.string(),
    cron: t.string({
      description: 'Five fields (minute hour day-of-month month day-of-week) or @daily, @weekly, ...',
    }),
    timezone: t.string({ required: false, description: "IANA zone; default: the server's." }),
    type: t.field({ type: TaskTypeEnum, description: `One of ${SCHEDULABLE_TYPES.join(', ')}.` }),
    hostIds: t.idList({ required: false, description: 'These hosts, or:' }),
    groupId: t.id({ required: false, description: 'the members of this group at each run.' }),
    imageId: t.id({ required: false, description: 'DEPLOY and CAPTURE only.' }),
    enabled: t.boolean({ required: false, description: 'Default true.' }),
  }),
});
const UpdateTaskScheduleInput = builder.inputType('UpdateTaskScheduleInput', {
  description: 'Only what is given changes; hostIds or groupId replaces the targets.',
  fields: (t) => ({
    id: t.id(),
    name: t.string({ required: false }),
    cron: t.string({ required: false }),
    timezone: t.string({ required: false }),
    type: t.field({ type: TaskTypeEnum, required: false }),
    hostIds: t.idList({ required: false }),
    groupId: t.id({ required: false }),
    imageId: t.id({ required: false, description: 'null removes the image (for a type that takes none).' }),
  }),
});
const RunTaskScheduleNowInput = builder.inputType('RunTaskScheduleNowInput', {
  fields: (t) => ({ id: t.id() }),
});
const SetTaskScheduleEnabledInput = builder.inputType('SetTaskScheduleEnabledInput', {
  fields: (t) => ({ id: t.id(), enabled: t.boolean() }),
});
const DeleteTaskScheduleInput = builder.inputType('DeleteTaskScheduleInput', {
  fields: (t) => ({ id: t.id() }),
});

builder.mutationField('createTaskSchedule', (t) =>
  t.field({
    type: SchedulePayload('CreateTaskScheduleSuccess'),
    authScopes: { operator: true },
    errors: { types: [HostNotFoundError, GroupNotFoundError, ImageNotFoundError] },
    args: { input: t.arg({ type: CreateTaskScheduleInput }) },
    resolve: async (_r, { input }, ctx) => ({
      schedule: await ctx.services.schedules.createSchedule(
        {
          ...input,
          hostIds: input.hostIds?.map(hostIdOf) ?? null,
          groupId: input.groupId == null ? null : groupIdOf(input.groupId),
          imageId: input.imageId == null ? null : imageIdOf(input.imageId),
        },
        actorOf(ctx),
      ),
    }),
  }),
);

builder.mutationField('updateTaskSchedule', (t) =>
  t.field({
    type: SchedulePayload('UpdateTaskScheduleSuccess'),
    authScopes: { operator: true },
    errors: { types: [TaskScheduleNotFoundError, HostNotFoundError, GroupNotFoundError, ImageNotFoundError] },
    args: { input: t.arg({ type: UpdateTaskScheduleInput }) },
    resolve: async (_r, { input }, ctx) => ({
      schedule: await ctx.services.schedules.updateSchedule({
        id: scheduleIdOf(input.id),
        name: input.name ?? undefined,
        cron: input.cron ?? undefined,
        timezone: input.timezone ?? undefined,
        type: input.type ?? undefined,
        hostIds: input.hostIds?.map(hostIdOf),
        groupId: input.groupId == null ? undefined : groupIdOf(input.groupId),
        imageId:
          input.imageId === undefined ? undefined : input.imageId === null ? null : imageIdOf(input.imageId),
      }),
    }),
  }),
);

builder.mutationField('runTaskScheduleNow', (t) =>
  t.field({
    type: SchedulePayload('RunTaskScheduleNowSuccess'),
    authScopes: { operator: true },
    description:
      'Runs it once now (enabled or not); lastOutcome says what it queued. Its next run is unchanged.',
    errors: { types: [TaskScheduleNotFoundError] },
    args: { input: t.arg({ type: RunTaskScheduleNowInput }) },
    resolve: async (_r, { input }, ctx) => ({
      schedule: await ctx.services.schedules.runNow(scheduleIdOf(input.id)),
    }),
  }),
);

builder.mutationField('setTaskScheduleEnabled', (t) =>
  t.field({
    type: SchedulePayload('SetTaskScheduleEnabledSuccess'),
    authScopes: { operator: true },
    description: 'Enabling aims at the next time from now: runs missed while disabled are not made up.',
    errors: { types: [TaskScheduleNotFoundError] },
    args: { input: t.arg({ type: SetTaskScheduleEnabledInput }) },
    resolve: async (_r, { input }, ctx) => ({
      schedule: await ctx.services.schedules.setEnabled(scheduleIdOf(input.id), input.enabled),
    }),
  }),
);

builder.mutationField('deleteTaskSchedule', (t) =>
  t.field({
    type: SchedulePayload('DeleteTaskScheduleSuccess'),
    authScopes: { operator: true },
    description: 'Tasks it already queued stay.',
    errors: { types: [TaskScheduleNotFoundError] },
    args: { input: t.arg({ type: DeleteTaskScheduleInput }) },
    resolve: async (_r, { input }, ctx) => ({
      schedule: await ctx.services.schedules.deleteSchedule(scheduleIdOf(input.id)),
    }),
  }),
);

builder.queryField('taskSchedules', (t) =>
  t.connection(
    {
      type: TaskScheduleRef,
      authScopes: { viewer: true },
      description: 'Oldest first.',
      resolve: (_r, args, ctx) =>
        resolveCountedConnection(args, {
          count: () => ctx.services.schedules.countSchedules(),
          list: (w) => ctx.services.schedules.listSchedules(w),
        }),
    },
    {
      name: 'TaskScheduleConnection',
      fields: (t) => ({ totalCount: t.int({ resolve: (c) => c.totalCount }) }),
    },
  ),
);
