import { sql } from 'drizzle-orm';
import { boolean, integer, pgEnum, snakeCase, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const STORAGE_ROLES = ['MASTER', 'REPLICA'] as const;
export type StorageRole = (typeof STORAGE_ROLES)[number];
export const storageRoleEnum = pgEnum('storage_role', STORAGE_ROLES);

/** A brume-server holding a copy of the chunk store (FOG's storage node). */
export const storageNodes = snakeCase.table(
  'storage_nodes',
  {
    id: uuid().primaryKey().defaultRandom(),
    name: text().notNull(),
    /** Base http(s) URL of the node's data plane. No credentials: nodes authenticate with tokens. */
    url: text().notNull(),
    role: storageRoleEnum().notNull().default('REPLICA'),
    enabled: boolean().notNull().default(true),
    /** Unicast deploys and captures served at once when this is the MASTER; the rest queue ("In line for ..."). */
    maxClients: integer().notNull().default(10),
    /**
     * An API token (role ADMIN) created on the REPLICA for this server to push images with. Sent
     * only to the node's own URL; the API never returns it (`hasReplicationToken`).
     */
    replicationToken: text(),
    lastSeenAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('storage_nodes_name_lower_key').on(sql`lower(${t.name})`)],
);
export type StorageNodeRow = typeof storageNodes.$inferSelect;
