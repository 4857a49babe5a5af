import { bigint, boolean, index, jsonb, snakeCase, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Append-only: one row per mutation call, allowed or refused. Never holds a secret. */
export const auditEntries = snakeCase.table(
  'audit_entries',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
    actorUserId: uuid(),
    actorTokenId: uuid(),
    actorName: text().notNull(),
    action: text().notNull(),
    targetIds: jsonb().$type<string[]>().notNull().default([]),
    input: jsonb().$type<unknown>(),
    allowed: boolean().notNull(),
    outcome: text().notNull(),
    clientAddress: text(),
    requestId: text(),
  },
  (t) => [index().on(t.at), index().on(t.action), index().on(t.actorUserId)],
);
export type AuditEntryRow = typeof auditEntries.$inferSelect;
