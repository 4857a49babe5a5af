import { sql } from 'drizzle-orm';
import {
  bigint,
  doublePrecision,
  index,
  integer,
  pgEnum,
  snakeCase,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from '../auth/auth-table.ts';
import { hosts } from '../hosts/hosts-table.ts';
import { images, imageVersions } from '../images/images-table.ts';
import { NON_IMAGING_TASK_TYPES, TASK_TYPES } from './task-kinds.ts';
import { ACTIVE_TASK_STATES, TASK_STATES } from './task-state-machine.ts';

export const taskTypeEnum = pgEnum('task_type', TASK_TYPES);
export const taskStateEnum = pgEnum('task_state', TASK_STATES);

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

export const tasks = snakeCase.table(
  'tasks',
  {
    id: uuid().primaryKey().defaultRandom(),
    type: taskTypeEnum().notNull(),
    state: taskStateEnum().notNull().default('QUEUED'),
    hostId: uuid()
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    imageId: uuid().references(() => images.id, { onDelete: 'set null' }),
    /**
     * Deploys: the version chosen when queued, so a later capture does not change what is written.
     * Captures: the version their commit published (set with COMPLETE).
     */
    imageVersionId: uuid().references(() => imageVersions.id, { onDelete: 'set null' }),
    createdById: uuid().references(() => users.id, { onDelete: 'set null' }),
    scheduledAt: timestamp({ withTimezone: true }),
    /**
     * Place among the deploys and captures waiting for a unicast slot: higher goes first, equal
     * ones in the order they were queued. Raised by an operator's "move to the front of the line".
     */
    linePriority: integer().notNull().default(0),
    /** When Wake-on-LAN packets went out for this task's host (once, when it was due). */
    wokenAt: timestamp({ withTimezone: true }),
    /** Who runs the task now (client or server component) and until when, renewed while alive. */
    leaseHolder: text(),
    leaseExpiresAt: timestamp({ withTimezone: true }),
    failureReason: text(),
    // Last progress, kept on the row so a late subscriber or a page reload sees where it stands.
    blocksDone: bigint({ mode: 'number' }).notNull().default(0),
    blocksTotal: bigint({ mode: 'number' }).notNull().default(0),
    bytesDone: bigint({ mode: 'number' }).notNull().default(0),
    bytesTotal: bigint({ mode: 'number' }).notNull().default(0),
    rateBytesPerSecond: doublePrecision().notNull().default(0),
    phase: text(),
    partition: integer(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp({ withTimezone: true }),
    endedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    // One active imaging task per host, enforced by the database whatever races the service loses.
    uniqueIndex('tasks_one_active_imaging_per_host')
      .on(t.hostId)
      .where(
        sql`${t.state} in (${inList(ACTIVE_TASK_STATES)}) and ${t.type} not in (${inList(NON_IMAGING_TASK_TYPES)})`,
      ),
    // One writer per image: a second active capture to the same image is refused by the database.
    uniqueIndex('tasks_one_active_capture_per_image')
      .on(t.imageId)
      .where(sql`${t.type} = 'CAPTURE' and ${t.state} in (${inList(ACTIVE_TASK_STATES)})`),
    index().on(t.state),
    index().on(t.hostId, t.createdAt),
    index().on(t.imageId),
  ],
);
export type TaskRow = typeof tasks.$inferSelect;
