import { GraphQLError } from 'graphql';
import { builder } from '../graphql/builder.ts';
import { resolveCountedConnection } from '../graphql/connections.ts';
import type { Context } from '../graphql/context.ts';
import { InputValidationError } from '../graphql/input-validation-error.ts';
import { GroupNotFoundError } from '../groups/group-errors.ts';
import { groupIdOf } from '../groups/groups-graphql.ts';
import { HostBusyError, HostNotFoundError, HostPendingError } from '../hosts/host-errors.ts';
import { hostIdOf } from '../hosts/hosts-graphql.ts';
import { HostRef } from '../hosts/hosts-graphql-types.ts';
import { decodeUuidOf } from '../hosts/inventory-ids.ts';
import {
  ImageDisabledError,
  ImageHasNoVersionError,
  ImageIsReplicaError,
  ImageNotFoundError,
  ImageProtectedError,
} from '../images/image-errors.ts';
import { imageIdOf } from '../images/images-graphql.ts';
import {
  ImageCaptureInProgressError,
  TaskAlreadyFinalError,
  TaskNotFoundError,
  TaskTypeUnsupportedError,
} from './task-errors.ts';
import { IMAGELESS_TYPES, UNSUPPORTED_TASK_TYPES } from './task-kinds.ts';
import {
  TaskEventRef,
  TaskProgressRef,
  TaskRef,
  TaskStateEnum,
  TaskTypeEnum,
  WipeModeEnum,
} from './tasks-graphql-types.ts';
import type { TaskRow } from './tasks-table.ts';

const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const actorOf = (ctx: { viewer: { userId: string } | null }) => ({ userId: ctx.viewer?.userId ?? null });
const hostErrors = [HostNotFoundError, HostPendingError, HostBusyError];

const TaskPayload = (name: string) =>
  builder.objectRef<{ task: TaskRow }>(name).implement({
    authScopes: { viewer: true },
    fields: (t) => ({ task: t.expose('task', { type: TaskRef }) }),
  });
const TasksPayload = (name: string) =>
  builder.objectRef<{ tasks: TaskRow[] }>(name).implement({
    authScopes: { viewer: true },
    fields: (t) => ({ tasks: t.expose('tasks', { type: [TaskRef] }) }),
  });

type InputFields = Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0];
/** Every start mutation can wait for a time (FOG's single scheduled task). */
const scheduledAt = (t: InputFields) =>
  t.field({
    type: 'DateTime',
    required: false,
    description:
      'Run at this time, not before: the task stays QUEUED (hosts busy, deploys pinned to the version current now) and its hosts are woken then. Omitted: now. At most a year ahead.',
  });

/** FOG's group tasking: the hosts named plus the members of the groups named, once each. */
const hostIdsField = (t: InputFields) => t.idList({ required: false, description: 'These hosts, plus:' });
const groupIdsField = (t: InputFields) =>
  t.idList({ required: false, description: 'the members of these groups now (each host once).' });

async function targetHostIds(
  input: {
    hostIds?: readonly (string | number | bigint)[] | null;
    groupIds?: readonly (string | number | bigint)[] | null;
  },
  ctx: Context,
): Promise<string[]> {
  const ids = (input.hostIds ?? []).map(hostIdOf);
  for (const globalId of input.groupIds ?? []) {
    const groupId = groupIdOf(globalId);
    if (!(await ctx.services.groups.getGroup(groupId))) throw new GroupNotFoundError(groupId);
    for (const host of await ctx.services.groups.hostsOfGroup(groupId)) ids.push(host.id);
  }
  return [...new Set(ids)];
}

const StartCaptureInput = builder.inputType('StartCaptureInput', {
  fields: (t) => ({ hostId: t.id(), imageId: t.id(), scheduledAt: scheduledAt(t) }),
});
const StartDeployInput = builder.inputType('StartDeployInput', {
  fields: (t) => ({
    hostIds: hostIdsField(t),
    groupIds: groupIdsField(t),
    imageId: t.id(),
    scheduledAt: scheduledAt(t),
  }),
});
const StartInventoryInput = builder.inputType('StartInventoryInput', {
  fields: (t) => ({ hostIds: hostIdsField(t), groupIds: groupIdsField(t), scheduledAt: scheduledAt(t) }),
});
const StartWipeInput = builder.inputType('StartWipeInput', {
  fields: (t) => ({ hostId: t.id(), mode: t.field({ type: WipeModeEnum }), scheduledAt: scheduledAt(t) }),
});
const StartTaskInput = builder.inputType('StartTaskInput', {
  fields: (t) => ({
    hostIds: hostIdsField(t),
    groupIds: groupIdsField(t),
    type: t.field({ type: TaskTypeEnum }),
    scheduledAt: scheduledAt(t),
  }),
});
const CancelTaskInput = builder.inputType('CancelTaskInput', { fields: (t) => ({ id: t.id() }) });

builder.mutationField('startCapture', (t) =>
  t.field({
    type: TaskPayload('StartCaptureSuccess'),
    authScopes: { operator: true },
    errors: {
      types: [
        ...hostErrors,
        ImageNotFoundError,
        ImageProtectedError,
        ImageIsReplicaError,
        ImageCaptureInProgressError,
      ],
    },
    args: { input: t.arg({ type: StartCaptureInput }) },
    resolve: async (_r, { input }, ctx) => ({
      task: await ctx.services.tasks.startCapture(
        { hostId: hostIdOf(input.hostId), imageId: imageIdOf(input.imageId), scheduledAt: input.scheduledAt },
        actorOf(ctx),
      ),
    }),
  }),
);

builder.mutationField('startDeploy', (t) =>
  t.field({
    type: TasksPayload('StartDeploySuccess'),
    authScopes: { operator: true },
    description: 'All or nothing: one DEPLOY task per host, pinned to the current version.',
    errors: {
      types: [
        ...hostErrors,
        GroupNotFoundError,
        ImageNotFoundError,
        ImageDisabledError,
        ImageHasNoVersionError,
      ],
    },
    args: { input: t.arg({ type: StartDeployInput }) },
    resolve: async (_r, { input }, ctx) => ({
      tasks: await ctx.services.tasks.startDeploy(
        {
          hostIds: await targetHostIds(input, ctx),
          imageId: imageIdOf(input.imageId),
          scheduledAt: input.scheduledAt,
        },
        actorOf(ctx),
      ),
    }),
  }),
);

builder.mutationField('startInventory', (t) =>
  t.field({
    type: TasksPayload('StartInventorySuccess'),
    authScopes: { operator: true },
    errors: { types: [...hostErrors, GroupNotFoundError] },
    args: { input: t.arg({ type: StartInventoryInput }) },
    resolve: async (_r, { input }, ctx) => ({
      tasks: await ctx.services.tasks.startInventory(
        { hostIds: await targetHostIds(input, ctx), scheduledAt: input.scheduledAt },
        actorOf(ctx),
      ),
    }),
  }),
);

builder.mutationField('startWipe', (t) =>
  t.field({
    type: TaskPayload('StartWipeSuccess'),
    authScopes: { operator: true },
    errors: { types: hostErrors },
    args: { input: t.arg({ type: StartWipeInput }) },
    resolve: async (_r, { input }, ctx) => ({
      task: await ctx.services.tasks.startWipe(
        { hostId: hostIdOf(input.hostId), mode: input.mode, scheduledAt: input.scheduledAt },
        actorOf(ctx),
      ),
    }),
  }),
);

builder.mutationField('startTask', (t) =>
  t.field({
    type: TasksPayload('StartTaskSuccess'),
    authScopes: { operator: true },
    description: `Queues a task that needs no image: ${IMAGELESS_TYPES.filter((t) => !UNSUPPORTED_TASK_TYPES.includes(t)).join(', ')} (${UNSUPPORTED_TASK_TYPES.filter((t) => IMAGELESS_TYPES.includes(t)).join(', ')}: TaskTypeUnsupportedError, nothing runs them yet).`,
    errors: { types: [...hostErrors, GroupNotFoundError, TaskTypeUnsupportedError] },
    args: { input: t.arg({ type: StartTaskInput }) },
    resolve: async (_r, { input }, ctx) => {
      if (!IMAGELESS_TYPES.includes(input.type)) {
        throw new InputValidationError([
          { path: ['input', 'type'], message: 'use the imaging mutations for this type' },
        ]);
      }
      const hostIds = await targetHostIds(input, ctx);
      return {
        tasks: await ctx.services.tasks.startHostTask(
          { type: input.type, hostIds, scheduledAt: input.scheduledAt },
          actorOf(ctx),
        ),
      };
    },
  }),
);

builder.mutationField('cancelTask', (t) =>
  t.field({
    type: TaskPayload('CancelTaskSuccess'),
    authScopes: { operator: true },
    errors: { types: [TaskNotFoundError, TaskAlreadyFinalError] },
    args: { input: t.arg({ type: CancelTaskInput }) },
    resolve: async (_r, { input }, ctx) => {
      const id = decodeUuidOf(input.id, 'Task');
      if (!id) throw new TaskNotFoundError(String(input.id).slice(0, 100));
      return { task: await ctx.services.tasks.cancelTask(id) };
    },
  }),
);

builder.queryField('tasks', (t) =>
  t.connection(
    {
      type: TaskRef,
      authScopes: { viewer: true },
      description: 'Newest first, optionally only some states and/or one host.',
      args: {
        states: t.arg({ type: [TaskStateEnum], required: false }),
        hostId: t.arg.id({ required: false }),
      },
      resolve: (_r, args, ctx) => {
        // A forged host id must match no task, not every task: the nil UUID belongs to no host.
        const hostId = args.hostId == null ? null : (decodeUuidOf(args.hostId, 'Host') ?? NIL_UUID);
        const filter = { states: args.states, hostId };
        return resolveCountedConnection(args, {
          count: () => ctx.services.tasks.countTasks(filter),
          list: (w) => ctx.services.tasks.listTasks(filter, w),
        });
      },
    },
    { name: 'TaskConnection', fields: (t) => ({ totalCount: t.int({ resolve: (c) => c.totalCount }) }) },
  ),
);

builder.objectField(HostRef, 'tasks', (t) =>
  t.connection(
    {
      type: TaskRef,
      description: "This host's tasks, newest first.",
      args: { states: t.arg({ type: [TaskStateEnum], required: false }) },
      resolve: (host, args, ctx) => {
        const filter = { states: args.states, hostId: host.id };
        return resolveCountedConnection(args, {
          count: () => ctx.services.tasks.countTasks(filter),
          list: (w) => ctx.services.tasks.listTasks(filter, w),
        });
      },
    },
    { name: 'HostTaskConnection', fields: (t) => ({ totalCount: t.int({ resolve: (c) => c.totalCount }) }) },
  ),
);

builder.subscriptionField('taskEvents', (t) =>
  t.field({
    type: TaskEventRef,
    authScopes: { viewer: true },
    description: 'Tasks created and their state changes.',
    subscribe: (_r, _a, ctx) => ctx.services.pubsub.subscribe('taskEvents'),
    resolve: (event) => event,
  }),
);

builder.subscriptionField('taskProgress', (t) =>
  t.field({
    type: TaskProgressRef,
    authScopes: { viewer: true },
    description:
      'The last checkpoint at once, then live counters (a slow reader gets the latest, not a backlog).',
    args: { taskId: t.arg.id() },
    subscribe: async (_r, args, ctx) => {
      const id = decodeUuidOf(args.taskId, 'Task');
      const stream = id ? await ctx.services.tasks.watchProgress(id) : undefined;
      if (!stream) throw new GraphQLError('No such task', { extensions: { code: 'NOT_FOUND' } });
      return stream;
    },
    resolve: (progress) => progress,
  }),
);
