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
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from '../auth/auth-table.ts';
import { IMAGE_TYPES, OS_TYPES } from './image-kinds.ts';

export const osTypeEnum = pgEnum('os_type', OS_TYPES);
export const imageTypeEnum = pgEnum('image_type', IMAGE_TYPES);

export const images = snakeCase.table(
  'images',
  {
    id: uuid().primaryKey().defaultRandom(),
    /** Also the store folder name: validated by `isValidImageName`, unique without regard to case. */
    name: text().notNull(),
    description: text().notNull().default(''),
    osType: osTypeEnum().notNull(),
    imageType: imageTypeEnum().notNull(),
    /** FOG's flag: no capture over it, no deletion. */
    protected: boolean().notNull().default(false),
    enabled: boolean().notNull().default(true),
    /** FOG's flag: pushed to the REPLICA storage nodes by the replicator (replication/). */
    replicate: boolean().notNull().default(true),
    /**
     * Set on a replica server for an image received by replication: the source's node name. Its
     * versions come from there only, so captures into it are refused.
     */
    replicaOf: text(),
    /** Versions kept after each capture (the newest ones, and the current one); null keeps all. */
    keepVersions: integer(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('images_name_lower_key').on(sql`lower(${t.name})`)],
);
export type ImageRow = typeof images.$inferSelect;

/** One immutable capture of an image. Rows are only ever inserted whole, inside one transaction. */
export const imageVersions = snakeCase.table(
  'image_versions',
  {
    id: uuid().primaryKey().defaultRandom(),
    imageId: uuid()
      .notNull()
      .references(() => images.id, { onDelete: 'cascade' }),
    number: integer().notNull(),
    sizeBytes: bigint({ mode: 'number' }).notNull(),
    storedBytes: bigint({ mode: 'number' }).notNull(),
    blockCount: integer().notNull(),
    /** sha256 of the canonical manifest: names the manifest file beside the chunks. */
    manifestHash: text().notNull(),
    manifest: jsonb().$type<unknown>(),
    createdById: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    current: boolean().notNull().default(false),
  },
  (t) => [
    unique('image_versions_image_number_key').on(t.imageId, t.number),
    // At most one current version per image, whatever races happen above.
    uniqueIndex('image_versions_one_current').on(t.imageId).where(sql`${t.current}`),
    index().on(t.imageId),
  ],
);
export type ImageVersionRow = typeof imageVersions.$inferSelect;

/**
 * Versions deleted here, one row per manifest, written in the deleting transaction. The image
 * store's manifest file of a version goes after its row (a crash or a failed removal can leave it
 * behind): this record keeps a store import from bringing the version back, and lets every garbage
 * collection retry the file until it is gone (a leftover manifest file keeps its chunks alive).
 */
export const deletedImageVersions = snakeCase.table('deleted_image_versions', {
  /** sha256 of the canonical manifest, as `image_versions.manifest_hash`. */
  manifestHash: text().primaryKey(),
  imageName: text().notNull(),
  number: integer().notNull(),
  deletedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  /** Set once the store holds no manifest file of it (or another version has the same manifest). */
  manifestFileGone: boolean().notNull().default(false),
});
export type DeletedImageVersionRow = typeof deletedImageVersions.$inferSelect;
