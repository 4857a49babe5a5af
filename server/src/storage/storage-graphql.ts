import { builder } from '../graphql/builder.ts';
import { resolveCountedConnection } from '../graphql/connections.ts';
import { defineErrorType } from '../graphql/errors.ts';
import { orderByIds } from '../graphql/load-by-ids.ts';
import { decodeUuidOf } from '../hosts/inventory-ids.ts';
import {
  DuplicateStorageNodeNameError,
  InvalidStorageNodeNameError,
  InvalidStorageUrlError,
  StorageNodeNotFoundError,
} from './storage-errors.ts';
import './store-gc-graphql.ts';
import './store-import-graphql.ts';
import './store-verify-graphql.ts';
import './store-stats-graphql.ts';
import { STORAGE_ROLES, type StorageNodeRow } from './storage-table.ts';

const StorageRoleEnum = builder.enumType('StorageRole', { values: STORAGE_ROLES });
export const StorageNodeRef = builder.objectRef<StorageNodeRow>('StorageNode');

// Storage nodes are infrastructure: ADMIN only, to read and to change.
builder.node(StorageNodeRef, {
  authScopes: { admin: true },
  id: { resolve: (n) => n.id },
  loadMany: async (ids, ctx) => orderByIds(ids, await ctx.services.storage.getStorageNodes(ids), (n) => n.id),
  fields: (t) => ({
    name: t.exposeString('name'),
    url: t.exposeString('url'),
    role: t.expose('role', { type: StorageRoleEnum }),
    enabled: t.exposeBoolean('enabled'),
    maxClients: t.exposeInt('maxClients'),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

defineErrorType(InvalidStorageNodeNameError, 'InvalidStorageNodeNameError', (t) => ({
  name: t.exposeString('nodeName'),
}));
defineErrorType(InvalidStorageUrlError, 'InvalidStorageUrlError');
defineErrorType(DuplicateStorageNodeNameError, 'DuplicateStorageNodeNameError', (t) => ({
  name: t.exposeString('nodeName'),
}));
defineErrorType(StorageNodeNotFoundError, 'StorageNodeNotFoundError');

function nodeIdOf(globalId: string | number | bigint): string {
  const id = decodeUuidOf(globalId, 'StorageNode');
  if (!id) throw new StorageNodeNotFoundError(String(globalId).slice(0, 100));
  return id;
}

const NodePayload = (name: string) =>
  builder.objectRef<{ storageNode: StorageNodeRow }>(name).implement({
    authScopes: { admin: true },
    fields: (t) => ({ storageNode: t.expose('storageNode', { type: StorageNodeRef }) }),
  });

const CreateStorageNodeInput = builder.inputType('CreateStorageNodeInput', {
  fields: (t) => ({
    name: t.string(),
    url: t.string(),
    role: t.field({ type: StorageRoleEnum, required: false }),
    enabled: t.boolean({ required: false }),
    maxClients: t.int({ required: false }),
    replicationToken: t.string({
      required: false,
      description:
        'An API token (role ADMIN) created on the REPLICA node for this server to push images with; never shown again. Empty clears it.',
    }),
  }),
});
const UpdateStorageNodeInput = builder.inputType('UpdateStorageNodeInput', {
  fields: (t) => ({
    id: t.id(),
    name: t.string({ required: false }),
    url: t.string({ required: false }),
    role: t.field({ type: StorageRoleEnum, required: false }),
    enabled: t.boolean({ required: false }),
    maxClients: t.int({ required: false }),
    replicationToken: t.string({
      required: false,
      description:
        'An API token (role ADMIN) created on the REPLICA node for this server to push images with; never shown again. Empty clears it.',
    }),
  }),
});
const DeleteStorageNodeInput = builder.inputType('DeleteStorageNodeInput', {
  fields: (t) => ({ id: t.id() }),
});

const fieldErrors = [InvalidStorageNodeNameError, InvalidStorageUrlError, DuplicateStorageNodeNameError];

builder.mutationField('createStorageNode', (t) =>
  t.field({
    type: NodePayload('CreateStorageNodeSuccess'),
    authScopes: { admin: true },
    errors: { types: fieldErrors },
    args: { input: t.arg({ type: CreateStorageNodeInput }) },
    resolve: async (_r, { input }, ctx) => ({
      storageNode: await ctx.services.storage.createStorageNode(input),
    }),
  }),
);

builder.mutationField('updateStorageNode', (t) =>
  t.field({
    type: NodePayload('UpdateStorageNodeSuccess'),
    authScopes: { admin: true },
    errors: { types: [StorageNodeNotFoundError, ...fieldErrors] },
    args: { input: t.arg({ type: UpdateStorageNodeInput }) },
    resolve: async (_r, { input }, ctx) => ({
      storageNode: await ctx.services.storage.updateStorageNode({ ...input, id: nodeIdOf(input.id) }),
    }),
  }),
);

builder.mutationField('deleteStorageNode', (t) =>
  t.field({
    type: NodePayload('DeleteStorageNodeSuccess'),
    authScopes: { admin: true },
    errors: { types: [StorageNodeNotFoundError] },
    args: { input: t.arg({ type: DeleteStorageNodeInput }) },
    resolve: async (_r, { input }, ctx) => ({
      storageNode: await ctx.services.storage.deleteStorageNode(nodeIdOf(input.id)),
    }),
  }),
);

builder.queryField('storageNodes', (t) =>
  t.connection(
    {
      type: StorageNodeRef,
      authScopes: { admin: true },
      resolve: (_r, args, ctx) =>
        resolveCountedConnection(args, {
          count: () => ctx.services.storage.countStorageNodes(),
          list: (w) => ctx.services.storage.listStorageNodes(w),
        }),
    },
    {
      name: 'StorageNodeConnection',
      authScopes: { admin: true },
      fields: (t) => ({ totalCount: t.int({ resolve: (c) => c.totalCount }) }),
    },
  ),
);
