import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  pgEnum,
  snakeCase,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { imageVersions } from '../images/images-table.ts';
import { storageNodes } from '../storage/storage-table.ts';

export const REPLICA_STATES = ['REPLICATING', 'DONE', 'FAILED'] as const;
export type ReplicaState = (typeof REPLICA_STATES)[number];
export const replicaStateEnum = pgEnum('replica_state', REPLICA_STATES);

/**
 * One image version pushed to one storage node (PROTOCOL.md "Replication"): what was sent, and
 * whether the node took it. A DONE version is not sent again; a FAILED one is, at the next pass.
 */
export const imageReplicas = snakeCase.table(
  'image_replicas',
  {
    id: uuid().primaryKey().defaultRandom(),
    storageNodeId: uuid()
      .notNull()
      .references(() => storageNodes.id, { onDelete: 'cascade' }),
    imageVersionId: uuid()
      .notNull()
      .references(() => imageVersions.id, { onDelete: 'cascade' }),
    state: replicaStateEnum().notNull(),
    /** Chunks the node lacked and was sent in the last attempt, and their stored bytes. */
    chunksSent: integer().notNull().default(0),
    bytesSent: bigint({ mode: 'number' }).notNull().default(0),
    /** Why the last attempt failed (the node's code and message, or the chunk found corrupt). */
    error: text(),
    attempts: integer().notNull().default(0),
    startedAt: timestamp({ withTimezone: true }).notNull(),
    finishedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    unique('image_replicas_node_version_key').on(t.storageNodeId, t.imageVersionId),
    index().on(t.imageVersionId),
  ],
);
export type ImageReplicaRow = typeof imageReplicas.$inferSelect;

/**
 * An image deleted here while it was replicated: each REPLICA node is told to delete its copy at
 * the next pass (PROTOCOL.md "Replication", 4) and is listed in `nodesDone` once it has answered.
 * Kept 30 days. Only a deletion recorded here goes out: a source whose database is lost or
 * replaced never empties its replicas.
 */
export const replicaDeletions = snakeCase.table('replica_deletions', {
  id: uuid().primaryKey().defaultRandom(),
  imageName: text().notNull(),
  deletedAt: timestamp({ withTimezone: true }).notNull(),
  nodesDone: uuid().array().notNull().default(sql`'{}'::uuid[]`),
});
export type ReplicaDeletionRow = typeof replicaDeletions.$inferSelect;
