import { boolean, index, pgEnum, snakeCase, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const roles = ['ADMIN', 'OPERATOR', 'VIEWER'] as const;
export type Role = (typeof roles)[number];
export const roleEnum = pgEnum('role', roles);

export const users = snakeCase.table('users', {
  id: uuid().primaryKey().defaultRandom(),
  username: text().notNull().unique(),
  passwordHash: text().notNull(),
  role: roleEnum().notNull(),
  disabled: boolean().notNull().default(false),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
export type UserRow = typeof users.$inferSelect;

export const tokenKinds = ['SESSION', 'API'] as const;
export type TokenKind = (typeof tokenKinds)[number];
export const tokenKindEnum = pgEnum('token_kind', tokenKinds);

/** Login sessions and named API tokens: only the sha256 of the secret is stored. */
export const apiTokens = snakeCase.table(
  'api_tokens',
  {
    id: uuid().primaryKey().defaultRandom(),
    kind: tokenKindEnum().notNull(),
    name: text().notNull(),
    prefix: text().notNull(),
    secretHash: text().notNull().unique(),
    role: roleEnum().notNull(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
    lastUsedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index().on(t.userId, t.kind)],
);
export type ApiTokenRow = typeof apiTokens.$inferSelect;
