import { GraphQLError } from 'graphql';
import { builder } from '../graphql/builder.ts';
import { encodeGlobalID } from '../graphql/global-id.ts';
import { HostRef } from '../hosts/hosts-graphql-types.ts';
import { decodeUuidOf } from '../hosts/inventory-ids.ts';
import {
  ReceiverStateEnum as ReceiverState,
  SessionStateEnum as SessionState,
} from './multicast-graphql-enums.ts';
import type { ReceiverProgressRow } from './runner/receiver-tracker.ts';
import type { MulticastProgressEvent } from './runner/session-runner.ts';

const ReceiverProgressRef = builder.objectRef<ReceiverProgressRow>('MulticastReceiverProgress').implement({
  authScopes: { viewer: true },
  description: 'One receiver as the sender sees it: joined, receiving, complete or dropped (with why).',
  fields: (t) => ({
    host: t.field({
      type: HostRef,
      nullable: true,
      resolve: (r, _a, ctx) => ctx.services.hosts.getHost(r.hostId),
    }),
    state: t.field({ type: ReceiverState, resolve: (r) => r.state }),
    blocksDone: t.exposeInt('blocksDone'),
    blocksTotal: t.exposeInt('blocksTotal'),
    bytesDone: t.expose('bytesDone', { type: 'ByteCount' }),
    lossPermille: t.exposeInt('lossPermille', { description: 'Datagram loss the receiver reports, in ‰.' }),
    failureReason: t.exposeString('failureReason', { nullable: true }),
  }),
});

const MulticastProgressRef = builder.objectRef<MulticastProgressEvent>('MulticastProgress').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    sessionId: t.id({ resolve: (e) => encodeGlobalID('MulticastSession', e.sessionId) }),
    state: t.field({ type: SessionState, resolve: (e) => e.state }),
    blocksTotal: t.exposeInt('blocksTotal'),
    rateBytesPerSecond: t.expose('rateBytesPerSecond', { type: 'ByteCount' }),
    receivers: t.field({ type: [ReceiverProgressRef], resolve: (e) => [...e.receivers] }),
  }),
});

builder.subscriptionField('multicastProgress', (t) =>
  t.field({
    type: MulticastProgressRef,
    authScopes: { viewer: true },
    description:
      'One row per receiver: the rows now, then live (a slow reader gets the latest); ends with the session.',
    args: { sessionId: t.arg.id() },
    subscribe: async (_r, args, ctx) => {
      const id = decodeUuidOf(args.sessionId, 'MulticastSession');
      const stream = id ? await ctx.services.multicast.watchProgress(id) : undefined;
      if (!stream) throw new GraphQLError('No such multicast session', { extensions: { code: 'NOT_FOUND' } });
      return stream;
    },
    resolve: (event) => event,
  }),
);
