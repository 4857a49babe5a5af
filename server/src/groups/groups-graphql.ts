import { builder } from '../graphql/builder.ts';
import { resolveCountedConnection } from '../graphql/connections.ts';
import { defineErrorType } from '../graphql/errors.ts';
import { orderByIds } from '../graphql/load-by-ids.ts';
import { HostNotFoundError } from '../hosts/host-errors.ts';
import { hostIdOf } from '../hosts/hosts-graphql.ts';
import { HostRef } from '../hosts/hosts-graphql-types.ts';
import { decodeUuidOf } from '../hosts/inventory-ids.ts';
import { DuplicateGroupNameError, GroupNotFoundError, InvalidGroupNameError } from './group-errors.ts';
import type { GroupRow } from './groups-table.ts';

export const GroupRef = builder.objectRef<GroupRow>('Group');

builder.node(GroupRef, {
  authScopes: { viewer: true },
  id: { resolve: (g) => g.id },
  loadMany: async (ids, ctx) => orderByIds(ids, await ctx.services.groups.getGroups(ids), (g) => g.id),
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    hosts: t.field({ type: [HostRef], resolve: (g, _a, ctx) => ctx.services.groups.hostsOfGroup(g.id) }),
  }),
});

builder.objectField(HostRef, 'groups', (t) =>
  t.field({ type: [GroupRef], resolve: (h, _a, ctx) => ctx.services.groups.groupsOfHost(h.id) }),
);

defineErrorType(InvalidGroupNameError, 'InvalidGroupNameError', (t) => ({
  name: t.exposeString('groupName'),
}));
defineErrorType(DuplicateGroupNameError, 'DuplicateGroupNameError', (t) => ({
  name: t.exposeString('groupName'),
}));
defineErrorType(GroupNotFoundError, 'GroupNotFoundError');

export function groupIdOf(globalId: string | number | bigint): string {
  const id = decodeUuidOf(globalId, 'Group');
  if (!id) throw new GroupNotFoundError(String(globalId).slice(0, 100));
  return id;
}

const GroupPayload = (name: string) =>
  builder.objectRef<{ group: GroupRow }>(name).implement({
    authScopes: { viewer: true },
    fields: (t) => ({ group: t.expose('group', { type: GroupRef }) }),
  });

const CreateGroupInput = builder.inputType('CreateGroupInput', {
  fields: (t) => ({ name: t.string(), description: t.string({ required: false }) }),
});
const UpdateGroupInput = builder.inputType('UpdateGroupInput', {
  fields: (t) => ({
    id: t.id(),
    name: t.string({ required: false }),
    description: t.string({ required: false }),
  }),
});
const DeleteGroupInput = builder.inputType('DeleteGroupInput', { fields: (t) => ({ id: t.id() }) });
const GroupHostsInput = builder.inputType('GroupHostsInput', {
  fields: (t) => ({ groupId: t.id(), hostIds: t.idList() }),
});

const nameErrors = [InvalidGroupNameError, DuplicateGroupNameError];

builder.mutationField('createGroup', (t) =>
  t.field({
    type: GroupPayload('CreateGroupSuccess'),
    authScopes: { operator: true },
    errors: { types: nameErrors },
    args: { input: t.arg({ type: CreateGroupInput }) },
    resolve: async (_r, { input }, ctx) => ({ group: await ctx.services.groups.createGroup(input) }),
  }),
);

builder.mutationField('updateGroup', (t) =>
  t.field({
    type: GroupPayload('UpdateGroupSuccess'),
    authScopes: { operator: true },
    errors: { types: [GroupNotFoundError, ...nameErrors] },
    args: { input: t.arg({ type: UpdateGroupInput }) },
    resolve: async (_r, { input }, ctx) => ({
      group: await ctx.services.groups.updateGroup({ ...input, id: groupIdOf(input.id) }),
    }),
  }),
);

builder.mutationField('deleteGroup', (t) =>
  t.field({
    type: GroupPayload('DeleteGroupSuccess'),
    authScopes: { operator: true },
    description: 'Deletes the group; its hosts stay.',
    errors: { types: [GroupNotFoundError] },
    args: { input: t.arg({ type: DeleteGroupInput }) },
    resolve: async (_r, { input }, ctx) => ({
      group: await ctx.services.groups.deleteGroup(groupIdOf(input.id)),
    }),
  }),
);

builder.mutationField('addHostsToGroup', (t) =>
  t.field({
    type: GroupPayload('AddHostsToGroupSuccess'),
    authScopes: { operator: true },
    errors: { types: [GroupNotFoundError, HostNotFoundError] },
    args: { input: t.arg({ type: GroupHostsInput }) },
    resolve: async (_r, { input }, ctx) => ({
      group: await ctx.services.groups.addHostsToGroup(groupIdOf(input.groupId), input.hostIds.map(hostIdOf)),
    }),
  }),
);

builder.mutationField('removeHostsFromGroup', (t) =>
  t.field({
    type: GroupPayload('RemoveHostsFromGroupSuccess'),
    authScopes: { operator: true },
    errors: { types: [GroupNotFoundError, HostNotFoundError] },
    args: { input: t.arg({ type: GroupHostsInput }) },
    resolve: async (_r, { input }, ctx) => ({
      group: await ctx.services.groups.removeHostsFromGroup(
        groupIdOf(input.groupId),
        input.hostIds.map(hostIdOf),
      ),
    }),
  }),
);

builder.queryField('groups', (t) =>
  t.connection(
    {
      type: GroupRef,
      authScopes: { viewer: true },
      resolve: (_r, args, ctx) =>
        resolveCountedConnection(args, {
          count: () => ctx.services.groups.countGroups(),
          list: (w) => ctx.services.groups.listGroups(w),
        }),
    },
    { name: 'GroupConnection', fields: (t) => ({ totalCount: t.int({ resolve: (c) => c.totalCount }) }) },
  ),
);
