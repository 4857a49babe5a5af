import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  snakeCase,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { WEBHOOK_EVENTS } from './webhook-events.ts';

export const webhookEventEnum = pgEnum('webhook_event', WEBHOOK_EVENTS);
export const DELIVERY_STATES = ['PENDING', 'DELIVERED', 'FAILED'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
export const deliveryStateEnum = pgEnum('webhook_delivery_state', DELIVERY_STATES);

/** An integration's URL and the events it wants (WEBHOOKS.md). */
export const webhooks = snakeCase.table(
  'webhooks',
  {
    id: uuid().primaryKey().defaultRandom(),
    name: text().notNull(),
    url: text().notNull(),
    /** The HMAC key of the signatures: shown once, never returned by the API. */
    secret: text().notNull(),
    events: webhookEventEnum().array().notNull(),
    enabled: boolean().notNull().default(true),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('webhooks_name_lower_key').on(sql`lower(${t.name})`)],
);
export type WebhookRow = typeof webhooks.$inferSelect;

/** One event for one webhook, until delivered or out of retries. */
export const webhookDeliveries = snakeCase.table(
  'webhook_deliveries',
  {
    id: uuid().primaryKey().defaultRandom(),
    webhookId: uuid()
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    event: webhookEventEnum().notNull(),
    /** The document sent, whole (its `id` is this row's). */
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    state: deliveryStateEnum().notNull().default('PENDING'),
    attempts: integer().notNull().default(0),
    /** When the next attempt is due; also the claim of an attempt under way (a lease). */
    nextAttemptAt: timestamp({ withTimezone: true }).notNull(),
    lastStatus: integer(),
    lastError: text(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    deliveredAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index('webhook_deliveries_due').on(t.nextAttemptAt).where(sql`${t.state} = 'PENDING'`),
    index().on(t.webhookId, t.createdAt),
  ],
);
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
