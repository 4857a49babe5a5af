import { builder } from '../graphql/builder.ts';
import { resolveCountedConnection } from '../graphql/connections.ts';
import { defineErrorType } from '../graphql/errors.ts';
import { orderByIds } from '../graphql/load-by-ids.ts';
import { decodeUuidOf } from '../hosts/inventory-ids.ts';
import { ImageVersionRef, loadVersion } from '../images/images-graphql-types.ts';
import { ReplicationNotConfiguredError, StorageNodeNotFoundError } from '../storage/storage-errors.ts';
import { StorageNodeRef } from '../storage/storage-graphql.ts';
import type { StorageNodeRow } from '../storage/storage-table.ts';
import { type ImageReplicaRow, REPLICA_STATES } from './replication-table.ts';

const ReplicaStateEnum = builder.enumType('ReplicaState', { values: REPLICA_STATES });
const ImageReplicaRef = builder.objectRef<ImageReplicaRow>('ImageReplica');

// Replication is storage infrastructure: ADMIN only, as storage nodes are.
builder.node(ImageReplicaRef, {
  authScopes: { admin: true },
  description: "One image version pushed to one storage node: the last attempt's outcome.",
  id: { resolve: (r) => r.id },
  loadMany: async (ids, ctx) => orderByIds(ids, await ctx.services.replication.getReplicas(ids), (r) => r.id),
  fields: (t) => ({
    storageNode: t.field({
      type: StorageNodeRef,
      nullable: true,
      resolve: (r, _a, ctx) => ctx.services.storage.getStorageNode(r.storageNodeId),
    }),
    imageVersion: t.field({
      type: ImageVersionRef,
      nullable: true,
      resolve: (r, _a, ctx) => loadVersion(ctx, r.imageVersionId),
    }),
    state: t.expose('state', { type: ReplicaStateEnum }),
    chunksSent: t.exposeInt('chunksSent', {
      description: 'Chunks the node lacked, sent in the last attempt.',
    }),
    bytesSent: t.expose('bytesSent', { type: 'ByteCount', description: 'Their stored (compressed) bytes.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why the last attempt failed.' }),
    attempts: t.exposeInt('attempts'),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});

const ReplicationSummaryRef = builder
  .objectRef<{ done: number; failed: number; replicating: number; lastError: string | null }>(
    'ReplicationSummary',
  )
  .implement({
    authScopes: { admin: true },
    description: "A node's replicated versions by the state of their last attempt.",
    fields: (t) => ({
      done: t.exposeInt('done'),
      failed: t.exposeInt('failed'),
      replicating: t.exposeInt('replicating'),
      lastError: t.exposeString('lastError', { nullable: true, description: 'The newest failure.' }),
    }),
  });

builder.objectFields(StorageNodeRef, (t) => ({
  hasReplicationToken: t.boolean({
    authScopes: { admin: true },
    description: 'Whether a replication token is set (the token itself is never shown).',
    resolve: (n) => n.replicationToken !== null && n.replicationToken !== '',
  }),
  replicationSummary: t.field({
    type: ReplicationSummaryRef,
    authScopes: { admin: true },
    resolve: (n, _a, ctx) => ctx.services.replication.summary(n.id),
  }),
  replicas: t.connection(
    {
      type: ImageReplicaRef,
      authScopes: { admin: true },
      description: 'Versions pushed to this node, the latest attempts first.',
      resolve: (n, args, ctx) =>
        resolveCountedConnection(args, {
          count: () => ctx.services.replication.countReplicas(n.id),
          list: (w) => ctx.services.replication.listReplicas(n.id, w),
        }),
    },
    {
      name: 'ImageReplicaConnection',
      authScopes: { admin: true },
      fields: (c) => ({ totalCount: c.int({ resolve: (x) => x.totalCount }) }),
    },
  ),
}));

defineErrorType(ReplicationNotConfiguredError, 'ReplicationNotConfiguredError');

const ReplicateImagesInput = builder.inputType('ReplicateImagesInput', {
  fields: (t) => ({ storageNodeId: t.id() }),
});

/** Why this node takes no replication, or null. */
function notReplicable(node: StorageNodeRow): string | null {
  if (node.role !== 'REPLICA') return 'the node is the MASTER';
  if (!node.enabled) return 'the node is disabled';
  if (!node.replicationToken) return 'the node has no replication token (updateStorageNode)';
  return null;
}

builder.mutationField('replicateImages', (t) =>
  t.field({
    type: builder.objectRef<{ storageNode: StorageNodeRow }>('ReplicateImagesSuccess').implement({
      authScopes: { admin: true },
      description: 'The pass runs in the background: watch `storageNode.replicas`.',
      fields: (f) => ({ storageNode: f.expose('storageNode', { type: StorageNodeRef }) }),
    }),
    authScopes: { admin: true },
    description:
      "Starts a replication pass to this node now, without waiting for the replicator's interval (BRUME_REPLICATION_INTERVAL_SECONDS).",
    errors: { types: [StorageNodeNotFoundError, ReplicationNotConfiguredError] },
    args: { input: t.arg({ type: ReplicateImagesInput }) },
    resolve: async (_r, { input }, ctx) => {
      const id = decodeUuidOf(input.storageNodeId, 'StorageNode');
      const node = id ? await ctx.services.storage.getStorageNode(id) : undefined;
      if (!node) throw new StorageNodeNotFoundError(String(input.storageNodeId).slice(0, 100));
      const why = notReplicable(node);
      if (why) throw new ReplicationNotConfiguredError(why);
      void ctx.services.replication.runPass(node.id);
      return { storageNode: node };
    },
  }),
);
