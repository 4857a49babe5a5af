import { builder } from '../graphql/builder.ts';
import { resolveCountedConnection } from '../graphql/connections.ts';
import { orderByIds } from '../graphql/load-by-ids.ts';
import type { AuditEntryRow } from './audit-table.ts';

const AuditEntryRef = builder.objectRef<AuditEntryRow>('AuditEntry');
builder.node(AuditEntryRef, {
  authScopes: { admin: true },
  id: { resolve: (e) => e.id },
  loadMany: async (ids, ctx) => {
    const numeric = ids.map(Number).filter(Number.isSafeInteger);
    return orderByIds(ids.map(Number), await ctx.services.audit.byIds(numeric), (e) => e.id);
  },
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime' }),
    actorName: t.exposeString('actorName', { description: 'Username, or `anonymous`.' }),
    actorUserId: t.exposeString('actorUserId', { nullable: true }),
    actorTokenId: t.exposeString('actorTokenId', { nullable: true }),
    action: t.exposeString('action', { description: 'The mutation name.' }),
    targetIds: t.stringList({ resolve: (e) => e.targetIds }),
    input: t.expose('input', { type: 'JSON', nullable: true, description: 'Arguments, secrets redacted.' }),
    allowed: t.exposeBoolean('allowed', {
      description: 'False when refused before running: authentication, role, or a rejected document.',
    }),
    outcome: t.exposeString('outcome', { description: '`OK` or the error code.' }),
    clientAddress: t.exposeString('clientAddress', { nullable: true }),
    requestId: t.exposeString('requestId', { nullable: true }),
  }),
});

const AuditFilter = builder.inputType('AuditFilter', {
  fields: (t) => ({
    action: t.string({ required: false }),
    allowed: t.boolean({ required: false }),
  }),
});

builder.queryField('auditLog', (t) =>
  t.connection(
    {
      type: AuditEntryRef,
      authScopes: { admin: true },
      description: 'Every mutation call, allowed or refused, newest first.',
      args: { filter: t.arg({ type: AuditFilter, required: false }) },
      resolve: (_root, args, ctx) => {
        const filter = { action: args.filter?.action, allowed: args.filter?.allowed };
        return resolveCountedConnection(args, {
          count: () => ctx.services.audit.count(filter),
          list: (w) => ctx.services.audit.list(filter, w),
        });
      },
    },
    {
      name: 'AuditEntryConnection',
      fields: (t) => ({ totalCount: t.int({ resolve: (c) => c.totalCount }) }),
    },
  ),
);

builder.subscriptionField('auditEvents', (t) =>
  t.field({
    type: AuditEntryRef,
    authScopes: { admin: true },
    description: 'Each new audit entry as it is written.',
    subscribe: (_root, _args, ctx) => ctx.services.pubsub.subscribe('auditEntries'),
    resolve: (entry) => entry,
  }),
);
