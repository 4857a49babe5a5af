import { z } from 'zod';
import { builder } from '../graphql/builder.ts';
import { resolveCountedConnection } from '../graphql/connections.ts';
import {
  DuplicateHostNameError,
  DuplicateMacError,
  HostBusyError,
  HostNotFoundError,
  InvalidHostNameError,
  InvalidMacError,
} from './host-errors.ts';
import type { HostRecord } from './host-store.ts';
import './host-import-graphql.ts';
import { HostEventRef, HostRef } from './hosts-graphql-types.ts';
import { decodeUuidOf } from './inventory-ids.ts';

/** Global id → raw host id, or the typed NotFound error (never a 500 for a forged id). */
export function hostIdOf(globalId: string | number | bigint): string {
  const id = decodeUuidOf(globalId, 'Host');
  if (!id) throw new HostNotFoundError(String(globalId).slice(0, 100));
  return id;
}

const HostPayload = (name: string) =>
  builder.objectRef<{ host: HostRecord }>(name).implement({
    authScopes: { viewer: true },
    fields: (t) => ({ host: t.expose('host', { type: HostRef }) }),
  });

const CreateHostSuccess = HostPayload('CreateHostSuccess');
const UpdateHostSuccess = HostPayload('UpdateHostSuccess');
const DeleteHostSuccess = HostPayload('DeleteHostSuccess');
const ApproveHostSuccess = HostPayload('ApproveHostSuccess');

const CreateHostInput = builder.inputType('CreateHostInput', {
  fields: (t) => ({
    name: t.string(),
    macs: t.stringList(),
    description: t.string({ required: false }),
  }),
});

const UpdateHostInput = builder.inputType('UpdateHostInput', {
  description: 'Fields left out stay as they are; `macs` replaces the whole list.',
  fields: (t) => ({
    id: t.id(),
    name: t.string({ required: false }),
    macs: t.stringList({ required: false }),
    description: t.string({ required: false }),
    primaryDisk: t.string({ required: false, description: 'Null clears it (first fixed disk).' }),
    primaryDiskSerial: t.string({ required: false, description: 'Null clears it.' }),
  }),
});

const HostIdInput = (name: string) => builder.inputType(name, { fields: (t) => ({ id: t.id() }) });
const DeleteHostInput = HostIdInput('DeleteHostInput');
const ApproveHostInput = HostIdInput('ApproveHostInput');

const nameErrors = [InvalidHostNameError, DuplicateHostNameError, InvalidMacError, DuplicateMacError];

builder.mutationField('createHost', (t) =>
  t.field({
    type: CreateHostSuccess,
    authScopes: { operator: true },
    errors: { types: nameErrors },
    args: { input: t.arg({ type: CreateHostInput }) },
    resolve: async (_r, { input }, ctx) => ({ host: await ctx.services.hosts.createHost(input) }),
  }),
);

builder.mutationField('updateHost', (t) =>
  t.field({
    type: UpdateHostSuccess,
    authScopes: { operator: true },
    errors: { types: [HostNotFoundError, ...nameErrors] },
    args: { input: t.arg({ type: UpdateHostInput }) },
    resolve: async (_r, { input }, ctx) => ({
      host: await ctx.services.hosts.updateHost({ ...input, id: hostIdOf(input.id) }),
    }),
  }),
);

builder.mutationField('deleteHost', (t) =>
  t.field({
    type: DeleteHostSuccess,
    authScopes: { operator: true },
    errors: { types: [HostNotFoundError, HostBusyError] },
    args: { input: t.arg({ type: DeleteHostInput }) },
    resolve: async (_r, { input }, ctx) => ({
      host: await ctx.services.hosts.deleteHost(hostIdOf(input.id)),
    }),
  }),
);

builder.mutationField('approveHost', (t) =>
  t.field({
    type: ApproveHostSuccess,
    authScopes: { operator: true },
    errors: { types: [HostNotFoundError] },
    args: { input: t.arg({ type: ApproveHostInput }) },
    resolve: async (_r, { input }, ctx) => ({
      host: await ctx.services.hosts.approveHost(hostIdOf(input.id)),
    }),
  }),
);

builder.queryField('hosts', (t) =>
  t.connection(
    {
      type: HostRef,
      authScopes: { viewer: true },
      description: 'Hosts by name; `search` matches name, description or MAC (case-insensitive, literal).',
      args: { search: t.arg.string({ required: false, validate: z.string().max(200) }) },
      resolve: (_r, args, ctx) =>
        resolveCountedConnection(args, {
          count: () => ctx.services.hosts.countHosts(args.search),
          list: (w) => ctx.services.hosts.listHosts(args.search, w),
        }),
    },
    { name: 'HostConnection', fields: (t) => ({ totalCount: t.int({ resolve: (c) => c.totalCount }) }) },
  ),
);

builder.queryField('host', (t) =>
  t.field({
    type: HostRef,
    nullable: true,
    authScopes: { viewer: true },
    args: { id: t.arg.id() },
    resolve: (_r, args, ctx) => {
      const id = decodeUuidOf(args.id, 'Host');
      return id ? ctx.services.hosts.getHost(id) : null;
    },
  }),
);

builder.queryField('hostByMac', (t) =>
  t.field({
    type: HostRef,
    nullable: true,
    authScopes: { viewer: true },
    description: 'The host owning this MAC, in any spelling; null when none (or malformed).',
    args: { mac: t.arg.string() },
    resolve: (_r, args, ctx) => ctx.services.hosts.findHostByMac(args.mac),
  }),
);

builder.subscriptionField('hostEvents', (t) =>
  t.field({
    type: HostEventRef,
    authScopes: { viewer: true },
    description: 'Hosts created, updated, deleted, approved, registered from the boot menu or coming online.',
    subscribe: (_r, _a, ctx) => ctx.services.pubsub.subscribe('hostEvents'),
    resolve: (event) => event,
  }),
);
