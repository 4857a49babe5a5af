/**
 * The record of deleted image versions (`deleted_image_versions`): written with every deletion,
 * read by the store import (a deleted version's leftover manifest file is not registered again)
 * and by the store's garbage collection (it retries removing those files until they are gone).
 */
import { and, eq, inArray, notExists, sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/database.ts';
import { deletedImageVersions, imageVersions } from './images-table.ts';

export interface DeletedVersion {
  readonly manifestHash: string;
  readonly imageName: string;
  readonly number: number;
}

/** Inside the deleting transaction: a crash can not separate the record from the deletion. */
export async function recordDeletedVersions(
  tx: Executor,
  versions: readonly DeletedVersion[],
  at: Date,
): Promise<void> {
  if (versions.length === 0) return;
  // One manifest deleted twice (the same capture registered under two images, say): the newest wins.
  const unique = [...new Map(versions.map((v) => [v.manifestHash, v])).values()];
  await tx
    .insert(deletedImageVersions)
    .values(unique.map((v) => ({ ...v, deletedAt: at, manifestFileGone: false })))
    .onConflictDoUpdate({
      target: deletedImageVersions.manifestHash,
      set: {
        imageName: sql`excluded.image_name`,
        number: sql`excluded.number`,
        deletedAt: sql`excluded.deleted_at`,
        manifestFileGone: false,
      },
    });
}

/** Deleted versions whose manifest file may still be in the store (none of the database's versions has it). */
export async function manifestsToRemove(db: Executor): Promise<string[]> {
  const rows = await db
    .select({ digest: deletedImageVersions.manifestHash })
    .from(deletedImageVersions)
    .where(
      and(
        eq(deletedImageVersions.manifestFileGone, false),
        notExists(
          db
            .select({ one: sql`1` })
            .from(imageVersions)
            .where(eq(imageVersions.manifestHash, deletedImageVersions.manifestHash)),
        ),
      ),
    );
  return rows.map((r) => r.digest);
}

export async function markManifestFilesGone(db: Database, digests: readonly string[]): Promise<void> {
  if (digests.length === 0) return;
  await db
    .update(deletedImageVersions)
    .set({ manifestFileGone: true })
    .where(inArray(deletedImageVersions.manifestHash, [...digests]));
}

export interface KnownManifests {
  /** Digests a version in the database has. */
  readonly registered: Set<string>;
  /** Digests of versions deleted here (and not registered again since), with when. */
  readonly deleted: Map<string, Date>;
}

/**
 * Both sets read by one statement, so one snapshot: a version deleted while this runs is in one
 * of them, whichever side of the deletion's commit the statement lands on.
 */
export async function knownManifests(db: Executor): Promise<KnownManifests> {
  const rows = await db
    .select({
      digest: imageVersions.manifestHash,
      deletedMs: sql<number | null>`null::float8`.as('deleted_ms'),
    })
    .from(imageVersions)
    .unionAll(
      db
        .select({
          digest: deletedImageVersions.manifestHash,
          deletedMs: sql<
            number | null
          >`(extract(epoch from ${deletedImageVersions.deletedAt}) * 1000)::float8`.as('deleted_ms'),
        })
        .from(deletedImageVersions),
    );
  const registered = new Set(rows.filter((r) => r.deletedMs === null).map((r) => r.digest));
  const deleted = new Map<string, Date>();
  for (const r of rows)
    if (r.deletedMs !== null && !registered.has(r.digest))
      deleted.set(r.digest, new Date(Number(r.deletedMs)));
  return { registered, deleted };
}
