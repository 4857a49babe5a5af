import { builder } from '../graphql/builder.ts';
import { resolveCountedConnection } from '../graphql/connections.ts';
import { defineErrorType } from '../graphql/errors.ts';
import { orderByIds } from '../graphql/load-by-ids.ts';
import { HostBusyError, HostNotFoundError, HostPendingError } from '../hosts/host-errors.ts';
import { hostIdOf } from '../hosts/hosts-graphql.ts';
import { HostRef } from '../hosts/hosts-graphql-types.ts';
import { decodeUuidOf } from '../hosts/inventory-ids.ts';
import { ImageDisabledError, ImageHasNoVersionError, ImageNotFoundError } from '../images/image-errors.ts';
import { imageIdOf } from '../images/images-graphql.ts';
import { ImageRef, ImageVersionRef, loadVersion } from '../images/images-graphql-types.ts';
import { TaskRef } from '../tasks/tasks-graphql-types.ts';
import type { TaskRow } from '../tasks/tasks-table.ts';
import {
  DuplicateSessionNameError,
  InvalidSessionNameError,
  MulticastSessionFinishedError,
  MulticastSessionNotFoundError,
} from './multicast-errors.ts';
import { ReceiverStateEnum, SessionStateEnum } from './multicast-graphql-enums.ts';
import './multicast-progress-graphql.ts';
import { NO_RECEIVER_FLOOR_SECONDS } from './multicast-rules.ts';
import type { MulticastReceiverRow, MulticastSessionRow } from './multicast-table.ts';

export const MulticastSessionRef = builder.objectRef<MulticastSessionRow>('MulticastSession');

const ReceiverRef = builder.objectRef<MulticastReceiverRow>('MulticastReceiver').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    host: t.field({
      type: HostRef,
      nullable: true,
      resolve: (r, _a, ctx) => ctx.services.hosts.getHost(r.hostId),
    }),
    task: t.field({
      type: TaskRef,
      nullable: true,
      resolve: (r, _a, ctx) => (r.taskId ? ctx.services.tasks.getTask(r.taskId) : null),
    }),
    state: t.expose('state', { type: ReceiverStateEnum }),
    blocksDone: t.exposeInt('blocksDone'),
    bytesDone: t.expose('bytesDone', { type: 'ByteCount' }),
    joinedAt: t.expose('joinedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.node(MulticastSessionRef, {
  authScopes: { viewer: true },
  id: { resolve: (s) => s.id },
  loadMany: async (ids, ctx) => orderByIds(ids, await ctx.services.multicast.getSessions(ids), (s) => s.id),
  fields: (t) => ({
    name: t.exposeString('name'),
    state: t.expose('state', { type: SessionStateEnum }),
    image: t.field({
      type: ImageRef,
      nullable: true,
      resolve: (s, _a, ctx) => (s.imageId ? ctx.services.images.getImage(s.imageId) : null),
    }),
    imageVersion: t.field({
      type: ImageVersionRef,
      nullable: true,
      resolve: (s, _a, ctx) => (s.imageVersionId ? loadVersion(ctx, s.imageVersionId) : null),
    }),
    expectedReceivers: t.exposeInt('expectedReceivers'),
    minReceivers: t.exposeInt('minReceivers'),
    maxWaitSeconds: t.exposeInt('maxWaitSeconds'),
    rateLimitBytesPerSecond: t.expose('rateLimitBytesPerSecond', { type: 'ByteCount', nullable: true }),
    failureReason: t.exposeString('failureReason', { nullable: true }),
    receivers: t.field({
      type: [ReceiverRef],
      resolve: (s, _a, ctx) => ctx.services.multicast.receiversOf(s.id),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    senderLaunchedAt: t.expose('senderLaunchedAt', {
      type: 'DateTime',
      nullable: true,
      description:
        'When the first receiver asked its ticket and the sender began waiting for joins. The sender ' +
        'and its keys live in the server process: if the server restarts, the session fails.',
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true }),
  }),
});

defineErrorType(InvalidSessionNameError, 'InvalidSessionNameError', (t) => ({
  name: t.exposeString('sessionName'),
}));
defineErrorType(DuplicateSessionNameError, 'DuplicateSessionNameError', (t) => ({
  name: t.exposeString('sessionName'),
}));
defineErrorType(MulticastSessionNotFoundError, 'MulticastSessionNotFoundError');
defineErrorType(MulticastSessionFinishedError, 'MulticastSessionFinishedError', (t) => ({
  state: t.expose('state', { type: SessionStateEnum }),
}));

const settingsFields = {
  minReceivers: 'Start when this many receivers joined (or at maxWaitSeconds with at least one).',
  maxWaitSeconds:
    "Seconds, from the session's creation, to wait for receivers before starting with those present. " +
    `A session no receiver asked to join by then (and at least ${NO_RECEIVER_FLOOR_SECONDS} s after its ` +
    'creation) fails: "no receiver joined within N s", with its tasks.',
};

const StartMulticastInput = builder.inputType('StartMulticastInput', {
  fields: (t) => ({
    hostIds: t.idList(),
    imageId: t.id(),
    name: t.string({ required: false, description: 'Default: generated (mc-<timestamp>-<hex>).' }),
    minReceivers: t.int({ description: settingsFields.minReceivers }),
    maxWaitSeconds: t.int({ description: settingsFields.maxWaitSeconds }),
    rateLimitBytesPerSecond: t.field({ type: 'ByteCount', required: false }),
  }),
});

const CreateMulticastSessionInput = builder.inputType('CreateMulticastSessionInput', {
  fields: (t) => ({
    name: t.string({ description: 'What hosts type at the boot menu to join.' }),
    imageId: t.id(),
    expectedReceivers: t.int({ required: false }),
    minReceivers: t.int({ description: settingsFields.minReceivers }),
    maxWaitSeconds: t.int({ description: settingsFields.maxWaitSeconds }),
    rateLimitBytesPerSecond: t.field({ type: 'ByteCount', required: false }),
  }),
});

const CancelMulticastSessionInput = builder.inputType('CancelMulticastSessionInput', {
  fields: (t) => ({ id: t.id() }),
});

const SessionPayload = (name: string) =>
  builder.objectRef<{ session: MulticastSessionRow }>(name).implement({
    authScopes: { viewer: true },
    fields: (t) => ({ session: t.expose('session', { type: MulticastSessionRef }) }),
  });

const StartMulticastSuccess = builder
  .objectRef<{ session: MulticastSessionRow; tasks: TaskRow[] }>('StartMulticastSuccess')
  .implement({
    authScopes: { viewer: true },
    fields: (t) => ({
      session: t.expose('session', { type: MulticastSessionRef }),
      tasks: t.expose('tasks', { type: [TaskRef] }),
    }),
  });

const imageErrors = [ImageNotFoundError, ImageDisabledError, ImageHasNoVersionError];
const actorOf = (ctx: { viewer: { userId: string } | null }) => ({ userId: ctx.viewer?.userId ?? null });

builder.mutationField('startMulticast', (t) =>
  t.field({
    type: StartMulticastSuccess,
    authScopes: { operator: true },
    description: 'The session plus one MULTICAST task per host, all or nothing.',
    errors: {
      types: [
        ...imageErrors,
        HostNotFoundError,
        HostPendingError,
        HostBusyError,
        InvalidSessionNameError,
        DuplicateSessionNameError,
      ],
    },
    args: { input: t.arg({ type: StartMulticastInput }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.multicast.startMulticast(
        { ...input, hostIds: input.hostIds.map(hostIdOf), imageId: imageIdOf(input.imageId) },
        actorOf(ctx),
      ),
  }),
);

builder.mutationField('createMulticastSession', (t) =>
  t.field({
    type: SessionPayload('CreateMulticastSessionSuccess'),
    authScopes: { operator: true },
    description: 'A session hosts join by name from the boot menu.',
    errors: { types: [...imageErrors, InvalidSessionNameError, DuplicateSessionNameError] },
    args: { input: t.arg({ type: CreateMulticastSessionInput }) },
    resolve: async (_r, { input }, ctx) => ({
      session: await ctx.services.multicast.createMulticastSession(
        { ...input, imageId: imageIdOf(input.imageId) },
        actorOf(ctx),
      ),
    }),
  }),
);

builder.mutationField('cancelMulticastSession', (t) =>
  t.field({
    type: SessionPayload('CancelMulticastSessionSuccess'),
    authScopes: { operator: true },
    errors: { types: [MulticastSessionNotFoundError, MulticastSessionFinishedError] },
    args: { input: t.arg({ type: CancelMulticastSessionInput }) },
    resolve: async (_r, { input }, ctx) => {
      const id = decodeUuidOf(input.id, 'MulticastSession');
      if (!id) throw new MulticastSessionNotFoundError(String(input.id).slice(0, 100));
      return { session: await ctx.services.multicast.cancelMulticastSession(id) };
    },
  }),
);

const JoinMulticastSessionInput = builder.inputType('JoinMulticastSessionInput', {
  fields: (t) => ({
    sessionName: t.string({ description: 'The name typed at the boot menu (case-insensitive).' }),
    hostId: t.id(),
  }),
});

const JoinMulticastSessionSuccess = builder
  .objectRef<{ session: MulticastSessionRow; task: TaskRow }>('JoinMulticastSessionSuccess')
  .implement({
    authScopes: { viewer: true },
    fields: (t) => ({
      session: t.expose('session', { type: MulticastSessionRef }),
      task: t.expose('task', { type: TaskRef }),
    }),
  });

builder.mutationField('joinMulticastSession', (t) =>
  t.field({
    type: JoinMulticastSessionSuccess,
    authScopes: { operator: true },
    description:
      "FOG's Join Multicast Session: the host's MULTICAST task in the open session of that name, " +
      'while it waits or within the late-join bound of its start.',
    errors: {
      types: [
        MulticastSessionNotFoundError,
        MulticastSessionFinishedError,
        HostNotFoundError,
        HostPendingError,
        HostBusyError,
      ],
    },
    args: { input: t.arg({ type: JoinMulticastSessionInput }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.multicast.joinMulticastSession(
        { sessionName: input.sessionName.slice(0, 200), hostId: hostIdOf(input.hostId) },
        actorOf(ctx),
      ),
  }),
);

builder.queryField('multicastSessions', (t) =>
  t.connection(
    {
      type: MulticastSessionRef,
      authScopes: { viewer: true },
      description: 'Newest first.',
      resolve: (_r, args, ctx) =>
        resolveCountedConnection(args, {
          count: () => ctx.services.multicast.countSessions(),
          list: (w) => ctx.services.multicast.listSessions(w),
        }),
    },
    {
      name: 'MulticastSessionConnection',
      fields: (t) => ({ totalCount: t.int({ resolve: (c) => c.totalCount }) }),
    },
  ),
);
