import { UserRef } from '../auth/auth-graphql-types.ts';
import { builder } from '../graphql/builder.ts';
import { defineErrorType } from '../graphql/errors.ts';
import { encodeGlobalID } from '../graphql/global-id.ts';
import { orderByIds } from '../graphql/load-by-ids.ts';
import { HostRef } from '../hosts/hosts-graphql-types.ts';
import { ImageRef, ImageVersionRef, loadVersion } from '../images/images-graphql-types.ts';
import {
  ImageCaptureInProgressError,
  InvalidTaskTransitionError,
  TaskAlreadyFinalError,
  TaskNotFoundError,
  TaskNotInLineError,
  TaskTypeUnsupportedError,
} from './task-errors.ts';
import { TASK_EVENT_KINDS, type TaskEvent, type TaskProgress } from './task-events.ts';
import { FOG_TASK_TYPE_IDS, TASK_TYPES, WIPE_MODES } from './task-kinds.ts';
import { progressOfRow } from './task-progress.ts';
import { FOG_TASK_STATE_IDS, TASK_STATES } from './task-state-machine.ts';
import type { TaskRow } from './tasks-table.ts';

export const TaskTypeEnum = builder.enumType('TaskType', { values: TASK_TYPES });
export const TaskStateEnum = builder.enumType('TaskState', { values: TASK_STATES });
export const WipeModeEnum = builder.enumType('WipeMode', { values: WIPE_MODES });
const TaskEventKindEnum = builder.enumType('TaskEventKind', { values: TASK_EVENT_KINDS });

export const TaskRef = builder.objectRef<TaskRow>('Task');

export const TaskProgressRef = builder.objectRef<TaskProgress>('TaskProgress').implement({
  authScopes: { viewer: true },
  description: 'Cumulative counters: each event is complete on its own.',
  fields: (t) => ({
    taskId: t.id({ resolve: (p) => encodeGlobalID('Task', p.taskId) }),
    blocksDone: t.exposeInt('blocksDone'),
    blocksTotal: t.exposeInt('blocksTotal'),
    bytesDone: t.expose('bytesDone', { type: 'ByteCount' }),
    bytesTotal: t.expose('bytesTotal', { type: 'ByteCount' }),
    rateBytesPerSecond: t.exposeFloat('rateBytesPerSecond'),
    etaSeconds: t.exposeInt('etaSeconds', { nullable: true }),
    phase: t.exposeString('phase', { nullable: true }),
    partition: t.exposeInt('partition', { nullable: true }),
  }),
});

const TaskInLineRef = builder
  .objectRef<{ ahead: number; busy: number; slots: number }>('TaskInLine')
  .implement({
    authScopes: { viewer: true },
    description: 'A deploy or capture whose client waits for a unicast slot (FOG\'s "In line for …").',
    fields: (t) => ({
      ahead: t.exposeInt('ahead', { description: 'Waiting tasks queued before this one.' }),
      busy: t.exposeInt('busy', { description: 'Unicast slots in use.' }),
      slots: t.exposeInt('slots', { description: 'Unicast slots of the server (maxClients).' }),
    }),
  });

builder.node(TaskRef, {
  authScopes: { viewer: true },
  id: { resolve: (task) => task.id },
  loadMany: async (ids, ctx) => orderByIds(ids, await ctx.services.tasks.getTasks(ids), (task) => task.id),
  fields: (t) => ({
    type: t.expose('type', { type: TaskTypeEnum }),
    fogTypeId: t.int({ resolve: (task) => FOG_TASK_TYPE_IDS[task.type] }),
    state: t.expose('state', { type: TaskStateEnum }),
    fogStateId: t.int({ resolve: (task) => FOG_TASK_STATE_IDS[task.state] }),
    host: t.field({
      type: HostRef,
      nullable: true,
      resolve: (task, _a, ctx) => ctx.services.hosts.getHost(task.hostId),
    }),
    image: t.field({
      type: ImageRef,
      nullable: true,
      resolve: (task, _a, ctx) => (task.imageId ? ctx.services.images.getImage(task.imageId) : null),
    }),
    imageVersion: t.field({
      type: ImageVersionRef,
      nullable: true,
      description:
        'A deploy: the version it writes (chosen when queued). A capture: the version its commit published, once COMPLETE.',
      resolve: (task, _a, ctx) => (task.imageVersionId ? loadVersion(ctx, task.imageVersionId) : null),
    }),
    createdBy: t.field({
      type: UserRef,
      nullable: true,
      resolve: (task, _a, ctx) => (task.createdById ? ctx.services.auth.users.byId(task.createdById) : null),
    }),
    scheduledAt: t.expose('scheduledAt', { type: 'DateTime', nullable: true }),
    leaseHolder: t.exposeString('leaseHolder', { nullable: true }),
    leaseExpiresAt: t.expose('leaseExpiresAt', { type: 'DateTime', nullable: true }),
    failureReason: t.exposeString('failureReason', { nullable: true }),
    progress: t.field({ type: TaskProgressRef, description: 'Last checkpoint.', resolve: progressOfRow }),
    inLine: t.field({
      type: TaskInLineRef,
      nullable: true,
      description:
        'Set while the client of a QUEUED deploy or capture checks in and waits for a unicast slot; null otherwise.',
      resolve: (task, _a, ctx) => ctx.services.transfer.core.unicastSlots.standing(task),
    }),
    linePriority: t.exposeInt('linePriority', {
      description:
        'Order among deploys and captures waiting for a unicast slot: higher first, equal ones in queue order (moveTaskToFrontOfLine raises it).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true }),
  }),
});

export const TaskEventRef = builder.objectRef<TaskEvent>('TaskEvent').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    kind: t.expose('kind', { type: TaskEventKindEnum }),
    task: t.expose('task', { type: TaskRef }),
  }),
});

defineErrorType(TaskNotFoundError, 'TaskNotFoundError');
defineErrorType(TaskAlreadyFinalError, 'TaskAlreadyFinalError', (t) => ({
  state: t.expose('state', { type: TaskStateEnum }),
}));
defineErrorType(TaskTypeUnsupportedError, 'TaskTypeUnsupportedError', (t) => ({
  type: t.expose('type', { type: TaskTypeEnum }),
}));
defineErrorType(TaskNotInLineError, 'TaskNotInLineError', (t) => ({
  state: t.expose('state', { type: TaskStateEnum }),
  type: t.expose('type', { type: TaskTypeEnum }),
}));
defineErrorType(InvalidTaskTransitionError, 'InvalidTaskTransitionError', (t) => ({
  from: t.expose('from', { type: TaskStateEnum }),
  to: t.expose('to', { type: TaskStateEnum }),
}));
defineErrorType(ImageCaptureInProgressError, 'ImageCaptureInProgressError', (t) => ({
  imageId: t.id({ resolve: (e) => encodeGlobalID('Image', e.imageId) }),
}));
