import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  pgEnum,
  primaryKey,
  snakeCase,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from '../auth/auth-table.ts';
import { hosts } from '../hosts/hosts-table.ts';
import { images, imageVersions } from '../images/images-table.ts';
import { tasks } from '../tasks/tasks-table.ts';
import { MULTICAST_SESSION_STATES, RECEIVER_STATES } from './multicast-states.ts';

export const multicastSessionStateEnum = pgEnum('multicast_session_state', MULTICAST_SESSION_STATES);
export const multicastReceiverStateEnum = pgEnum('multicast_receiver_state', RECEIVER_STATES);

export const multicastSessions = snakeCase.table(
  'multicast_sessions',
  {
    id: uuid().primaryKey().defaultRandom(),
    /** Typed at the boot menu ("Join Multicast Session"): validated like an image name. */
    name: text().notNull(),
    imageId: uuid().references(() => images.id, { onDelete: 'set null' }),
    imageVersionId: uuid().references(() => imageVersions.id, { onDelete: 'set null' }),
    /** Start when this many receivers joined, or when `maxWaitSeconds` passed with at least one. */
    expectedReceivers: integer().notNull().default(0),
    minReceivers: integer().notNull(),
    maxWaitSeconds: integer().notNull(),
    /** Sender's cap; null = unlimited. */
    rateLimitBytesPerSecond: bigint({ mode: 'number' }),
    state: multicastSessionStateEnum().notNull().default('WAITING'),
    failureReason: text(),
    createdById: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /**
     * When the first ticket request launched the sender. Its keys live only in that process:
     * an open session with this set and no sender here lost it in a restart.
     */
    senderLaunchedAt: timestamp({ withTimezone: true }),
    startedAt: timestamp({ withTimezone: true }),
    endedAt: timestamp({ withTimezone: true }),
  },
  // A name typed at the boot menu must designate one open session.
  (t) => [
    uniqueIndex('multicast_sessions_open_name_key')
      .on(sql`lower(${t.name})`)
      .where(sql`${t.state} in ('WAITING', 'RUNNING')`),
    index().on(t.state),
  ],
);
export type MulticastSessionRow = typeof multicastSessions.$inferSelect;

export const multicastReceivers = snakeCase.table(
  'multicast_receivers',
  {
    sessionId: uuid()
      .notNull()
      .references(() => multicastSessions.id, { onDelete: 'cascade' }),
    hostId: uuid()
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    taskId: uuid().references(() => tasks.id, { onDelete: 'set null' }),
    state: multicastReceiverStateEnum().notNull().default('EXPECTED'),
    blocksDone: bigint({ mode: 'number' }).notNull().default(0),
    bytesDone: bigint({ mode: 'number' }).notNull().default(0),
    joinedAt: timestamp({ withTimezone: true }),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.hostId] }), index().on(t.taskId)],
);
export type MulticastReceiverRow = typeof multicastReceivers.$inferSelect;
