/**
 * The image store's figures for the console dashboard: the filesystem's room (statfs of the store
 * directory), what the chunk directory holds, and what deduplication saves. The savings come from
 * the manifests in the database (each block names its chunk hash and compressed size), aggregated by
 * PostgreSQL so the manifests never travel to this process.
 */
import { promises as fs } from 'node:fs';
import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from '../db/database.ts';
import { LocalChunkStore } from '../imaging/index.ts';

export interface ImageStoreStats {
  readonly imageId: string;
  readonly versionCount: number;
  /** Sum of the versions' disk sizes. */
  readonly logicalBytes: number;
  /** Compressed bytes the versions would take if each were stored alone (each its distinct chunks). */
  readonly storedBytes: number;
  /** Compressed bytes of the chunks no other image references: what deleting the image would free. */
  readonly uniqueBytes: number;
  /** `storedBytes - uniqueBytes`: shared between its versions or with other images. */
  readonly dedupSavedBytes: number;
}

export interface StoreStats {
  /** Filesystem of the store directory (statfs): bytes in use, free to this process, size. */
  readonly usedBytes: number;
  readonly freeBytes: number;
  readonly totalBytes: number;
  /** Chunk files in the store (unreferenced ones awaiting garbage collection included). */
  readonly chunkCount: number;
  readonly chunkBytes: number;
  /** Sum of every image version's disk size. */
  readonly logicalBytes: number;
  /** Compressed bytes the versions would take stored one by one, minus what their distinct chunks take. */
  readonly dedupSavedBytes: number;
  readonly images: readonly ImageStoreStats[];
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

// One row per (version, chunk): blocks and preserved areas (table, boot code) alike. A version
// without a manifest (none are written today) counts its storedBytes as one chunk of its own.
const REFS = sql`
  with refs as (
    select distinct v.id as version_id, v.image_id, c->>'hash' as hash, (c->>'storedSize')::bigint as size
    from image_versions v
    cross join lateral jsonb_array_elements(
      coalesce(v.manifest->'blocks', '[]'::jsonb) || coalesce(v.manifest->'preserved', '[]'::jsonb)
    ) c
    union all
    select v.id, v.image_id, 'version:' || v.id::text, v.stored_bytes
    from image_versions v where v.manifest is null
  ),
  chunk_images as (
    select hash, max(size) as size, count(distinct image_id) as images from refs group by hash
  ),
  image_refs as (select distinct image_id, hash from refs)`;

interface ImageAggregate {
  image_id: string;
  versions: unknown;
  logical: unknown;
  stored: unknown;
  unique_bytes: unknown;
}

async function imageAggregates(db: Database): Promise<ImageStoreStats[]> {
  const result = await db.execute(sql`${REFS}
    select v.image_id, count(*) as versions, sum(v.size_bytes) as logical,
      (select coalesce(sum(size), 0) from refs r where r.image_id = v.image_id) as stored,
      (select coalesce(sum(c.size), 0) from image_refs i join chunk_images c using (hash)
        where i.image_id = v.image_id and c.images = 1) as unique_bytes
    from image_versions v group by v.image_id order by v.image_id`);
  return rowsOf<ImageAggregate>(result).map((r) => {
    const stored = num(r.stored);
    const unique = num(r.unique_bytes);
    return {
      imageId: r.image_id,
      versionCount: num(r.versions),
      logicalBytes: num(r.logical),
      storedBytes: stored,
      uniqueBytes: unique,
      dedupSavedBytes: Math.max(0, stored - unique),
    };
  });
}

async function totalSavings(db: Database): Promise<number> {
  const result = await db.execute(sql`${REFS}
    select (select coalesce(sum(size), 0) from refs) as alone,
      (select coalesce(sum(size), 0) from chunk_images) as distinct_bytes`);
  const [row] = rowsOf<{ alone: unknown; distinct_bytes: unknown }>(result);
  return Math.max(0, num(row?.alone) - num(row?.distinct_bytes));
}

async function chunkFiles(root: string): Promise<{ count: number; bytes: number }> {
  let count = 0;
  let bytes = 0;
  for await (const chunk of new LocalChunkStore(root).list()) {
    count++;
    bytes += chunk.storedSize;
  }
  return { count, bytes };
}

/** The store directory may not exist before the first capture: statfs its nearest existing parent. */
export async function filesystemOf(dir: string): Promise<{ used: number; free: number; total: number }> {
  let at = dir;
  for (;;) {
    const st = await fs.statfs(at).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' && at !== '/') return null;
      throw e;
    });
    if (st) {
      return {
        used: (st.blocks - st.bfree) * st.bsize,
        free: st.bavail * st.bsize,
        total: st.blocks * st.bsize,
      };
    }
    at = at.replace(/\/[^/]*\/?$/, '') || '/';
  }
}

export async function readStoreStats(db: Database, imagesDir: string): Promise<StoreStats> {
  const [images, saved, chunks, filesystem] = await Promise.all([
    imageAggregates(db),
    totalSavings(db),
    chunkFiles(imagesDir),
    filesystemOf(imagesDir),
  ]);
  return {
    usedBytes: filesystem.used,
    freeBytes: filesystem.free,
    totalBytes: filesystem.total,
    chunkCount: chunks.count,
    chunkBytes: chunks.bytes,
    logicalBytes: images.reduce((n, i) => n + i.logicalBytes, 0),
    dedupSavedBytes: saved,
    images,
  };
}
