import { boolean, index, primaryKey, snakeCase, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../auth/auth-table.ts';
import { groups } from '../groups/groups-table.ts';
import { hosts } from '../hosts/hosts-table.ts';
import { images } from '../images/images-table.ts';
import { taskTypeEnum } from '../tasks/tasks-table.ts';

/** FOG's cron-style scheduled tasks: a task type, its hosts (a list or a group) and when. */
export const taskSchedules = snakeCase.table(
  'task_schedules',
  {
    id: uuid().primaryKey().defaultRandom(),
    name: text().notNull(),
    /** Five fields (minute hour day-of-month month day-of-week) or a nickname such as @daily. */
    cron: text().notNull(),
    /** IANA zone the cron fields are read in ("2 a.m." is the lab's 2 a.m.). */
    timezone: text().notNull(),
    type: taskTypeEnum().notNull(),
    /** Members at run time; null when the schedule names its hosts (task_schedule_hosts). */
    groupId: uuid().references(() => groups.id, { onDelete: 'cascade' }),
    imageId: uuid().references(() => images.id, { onDelete: 'cascade' }),
    enabled: boolean().notNull().default(true),
    /** Null while disabled. */
    nextRunAt: timestamp({ withTimezone: true }),
    lastRunAt: timestamp({ withTimezone: true }),
    /** What the last run did: "queued 28 of 30 tasks; pc-3: …", or why it was skipped. */
    lastOutcome: text(),
    createdById: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.nextRunAt), index().on(t.createdAt)],
);
export type TaskScheduleRow = typeof taskSchedules.$inferSelect;

export const taskScheduleHosts = snakeCase.table(
  'task_schedule_hosts',
  {
    scheduleId: uuid()
      .notNull()
      .references(() => taskSchedules.id, { onDelete: 'cascade' }),
    hostId: uuid()
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.scheduleId, t.hostId] }), index().on(t.hostId)],
);
