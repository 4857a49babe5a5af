import { and, asc, count, desc, eq, getTableColumns, inArray, max, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.ts';
import { isUuid, onlyUuids, uniqueViolation } from '../hosts/sql-helpers.ts';
import { DuplicateImageNameError } from './image-errors.ts';
import { type ImageRow, type ImageVersionRow, images, imageVersions } from './images-table.ts';

/** A violation of the unique image name index as the typed error; anything else as it was. */
export function rethrowUniqueName(err: unknown, name: string): never {
  if (uniqueViolation(err) === 'images_name_lower_key') throw new DuplicateImageNameError(name);
  throw err;
}

export async function selectImage(db: Executor, id: string): Promise<ImageRow | undefined> {
  const [row] = await db.select().from(images).where(eq(images.id, id));
  return row;
}

/**
 * Reads the image row under a lock, so deletion (`update`) and task creation (`share`) serialize:
 * a task can never be queued against an image that is being deleted.
 */
export async function lockImage(
  db: Executor,
  id: string,
  strength: 'update' | 'share',
): Promise<ImageRow | undefined> {
  const [row] = await db.select().from(images).where(eq(images.id, id)).for(strength);
  return row;
}

/** The image of that name, compared as names are unique: without case. */
export async function selectImageByName(db: Executor, name: string): Promise<ImageRow | undefined> {
  const [row] = await db.select().from(images).where(sql`lower(${images.name}) = lower(${name})`);
  return row;
}

export async function imageNameTaken(db: Executor, name: string, exceptId?: string): Promise<boolean> {
  const same = sql`lower(${images.name}) = lower(${name})`;
  const [row] = await db
    .select({ n: count() })
    .from(images)
    .where(exceptId ? and(same, sql`${images.id} <> ${exceptId}`) : same);
  return (row?.n ?? 0) > 0;
}

export async function pageImages(
  db: Executor,
  window: { offset: number; limit: number },
): Promise<ImageRow[]> {
  return db
    .select()
    .from(images)
    .orderBy(asc(sql`lower(${images.name})`), asc(images.id))
    .offset(window.offset)
    .limit(window.limit);
}

export async function countImages(db: Executor): Promise<number> {
  const [row] = await db.select({ n: count() }).from(images);
  return row?.n ?? 0;
}

export async function selectImagesByIds(db: Executor, ids: readonly string[]): Promise<ImageRow[]> {
  const valid = onlyUuids(ids);
  if (valid.length === 0) return [];
  return db.select().from(images).where(inArray(images.id, valid));
}

/** A version without its manifest: what lists and the API show (a manifest is megabytes of JSON). */
export type ImageVersionSummary = Omit<ImageVersionRow, 'manifest'>;
const { manifest: _manifest, ...summaryColumns } = getTableColumns(imageVersions);

export async function selectVersions(db: Executor, imageId: string): Promise<ImageVersionSummary[]> {
  return db
    .select(summaryColumns)
    .from(imageVersions)
    .where(eq(imageVersions.imageId, imageId))
    .orderBy(desc(imageVersions.number));
}

/** The versions of several images at once, newest first within each. */
export async function selectVersionsOf(
  db: Executor,
  imageIds: readonly string[],
): Promise<ImageVersionSummary[]> {
  const valid = onlyUuids(imageIds);
  if (valid.length === 0) return [];
  return db
    .select(summaryColumns)
    .from(imageVersions)
    .where(inArray(imageVersions.imageId, valid))
    .orderBy(desc(imageVersions.number));
}

export async function selectVersionSummaries(
  db: Executor,
  ids: readonly string[],
): Promise<ImageVersionSummary[]> {
  const valid = onlyUuids(ids);
  if (valid.length === 0) return [];
  return db.select(summaryColumns).from(imageVersions).where(inArray(imageVersions.id, valid));
}

export async function selectVersion(db: Executor, id: string): Promise<ImageVersionRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.select().from(imageVersions).where(eq(imageVersions.id, id));
  return row;
}

export async function selectCurrentVersion(
  db: Executor,
  imageId: string,
): Promise<ImageVersionSummary | undefined> {
  const [row] = await db
    .select(summaryColumns)
    .from(imageVersions)
    .where(and(eq(imageVersions.imageId, imageId), eq(imageVersions.current, true)));
  return row;
}

export async function nextVersionNumber(db: Executor, imageId: string): Promise<number> {
  const [row] = await db
    .select({ n: max(imageVersions.number) })
    .from(imageVersions)
    .where(eq(imageVersions.imageId, imageId));
  return (row?.n ?? 0) + 1;
}
