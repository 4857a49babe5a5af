import { sql } from 'drizzle-orm';
import {
  bigint,
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
import { users } from '../auth/auth-table.ts';
import { imageVersions } from '../images/images-table.ts';

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

export const VERIFICATION_STATES = ['QUEUED', 'RUNNING', 'PASSED', 'DAMAGED', 'ABORTED'] as const;
export type VerificationState = (typeof VERIFICATION_STATES)[number];
export const verificationStateEnum = pgEnum('verification_state', VERIFICATION_STATES);

/** A chunk of a verified version that is missing, does not decode or does not hash to its name. */
export interface ChunkProblemRecord {
  readonly hash: string;
  readonly code: string;
  readonly error: string;
}

/**
 * One check of an image version's chunks in the store (`verifyImageVersion`): every chunk read,
 * decoded and hashed, as a deploy would. Kept after it ends, so the last result of each version
 * can be shown; deleted with the version.
 */
export const imageVerifications = snakeCase.table(
  'image_verifications',
  {
    id: uuid().primaryKey().defaultRandom(),
    imageVersionId: uuid()
      .notNull()
      .references(() => imageVersions.id, { onDelete: 'cascade' }),
    state: verificationStateEnum().notNull().default('QUEUED'),
    chunksTotal: integer().notNull(),
    chunksChecked: integer().notNull().default(0),
    bytesChecked: bigint({ mode: 'number' }).notNull().default(0),
    problemCount: integer().notNull().default(0),
    /** The first problems found (at most MAX_RECORDED_PROBLEMS); `problemCount` has them all. */
    problems: jsonb().$type<ChunkProblemRecord[]>().notNull().default([]),
    /** Why it was ABORTED, or what made the version unreadable before any chunk. */
    reason: text(),
    requestedById: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp({ withTimezone: true }),
    finishedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index().on(t.imageVersionId, t.createdAt),
    // One waiting or running check per version: a second request gets that one.
    uniqueIndex('image_verifications_one_active')
      .on(t.imageVersionId)
      .where(sql`${t.state} in ('QUEUED', 'RUNNING')`),
  ],
);
export type ImageVerificationRow = typeof imageVerifications.$inferSelect;
