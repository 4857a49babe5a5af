/**
 * Getting the image store's space back. Deleting an image or a version removes its database rows
 * and, here, its manifest files beside the chunks; a garbage collection then removes every chunk
 * no version references any more.
 *
 * What stays: every chunk a version in the database references (whatever happened to its manifest
 * file), every chunk a manifest file in the store references (a local capture made with
 * `brume image capture --store` into the same directory included), and every chunk younger than
 * the grace period (a capture's chunks are not referenced until its commit). A collection is
 * refused while a capture's client is at work (checked in or in progress; a queued capture has
 * touched nothing), and a capture that checks in during one waits for its end before it asks
 * which chunks the store has or uploads one (`whenIdle`): a sweep never removes a chunk a capture
 * was told is there.
 *
 * After a deletion a collection runs by itself a little later (one for a burst of deletions), and
 * when a collection had to keep unreferenced chunks for their youth, another runs once they are
 * past the grace period; an admin can run one, or a dry run, with `collectStoreGarbage`.
 */
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { type Database, rowsOf } from '../db/database.ts';
import { manifestsToRemove, markManifestFilesGone } from '../images/deleted-versions.ts';
import { imageVersions } from '../images/images-table.ts';
import {
  collectGarbage,
  DEFAULT_GC_GRACE_MS,
  type GcStats,
  manifestDigest,
  openLocalStore,
  UnreadableManifestError,
} from '../imaging/index.ts';
import { tasks } from '../tasks/tasks-table.ts';
import { StoreBusyError, StoreManifestUnreadableError } from './storage-errors.ts';

export interface StoreGcDeps {
  readonly db: Database;
  readonly imagesDir: string;
  readonly log: Logger;
  /** Delay between a deletion and the collection it schedules. */
  readonly afterDeleteMs?: number;
  /** Unreferenced chunks younger than this stay (default 6 h: a capture's, before its commit). */
  readonly graceMs?: number;
}

/** Every chunk hash the database's versions reference (blocks and preserved areas). */
async function databaseHashes(db: Database): Promise<Set<string>> {
  const rows = rowsOf<{ hash: string }>(
    await db.execute(sql`
      select distinct c->>'hash' as hash
      from image_versions v
      cross join lateral jsonb_array_elements(
        coalesce(v.manifest->'blocks', '[]'::jsonb) || coalesce(v.manifest->'preserved', '[]'::jsonb)
      ) c`),
  );
  return new Set(rows.map((r) => r.hash));
}

async function databaseDigests(db: Database, digests: readonly string[]): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ digest: imageVersions.manifestHash })
    .from(imageVersions)
    .where(inArray(imageVersions.manifestHash, [...digests]));
  return new Set(rows.map((r) => r.digest));
}

/** Captures whose client is at work on the store (checked in or in progress). */
export async function activeCaptures(db: Database): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(tasks)
    .where(and(eq(tasks.type, 'CAPTURE'), inArray(tasks.state, ['CHECKED_IN', 'IN_PROGRESS'])));
  return row?.n ?? 0;
}

export function createStoreGc(deps: StoreGcDeps) {
  const store = openLocalStore(deps.imagesDir);
  const afterDeleteMs = deps.afterDeleteMs ?? 60_000;
  const graceMs = deps.graceMs ?? DEFAULT_GC_GRACE_MS;
  let running: Promise<GcStats> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  async function sweep(dryRun: boolean): Promise<GcStats> {
    const busy = await activeCaptures(deps.db);
    if (busy > 0) throw new StoreBusyError(busy);
    // A leftover manifest file would keep its chunks alive: it goes first (not on a dry run).
    if (!dryRun) await forgetLeftovers();
    const stats = await collectGarbage({
      chunks: store.chunks,
      manifests: store.manifests,
      alsoLive: await databaseHashes(deps.db),
      graceMs,
      dryRun,
    }).catch((err: unknown) => {
      if (err instanceof UnreadableManifestError)
        throw new StoreManifestUnreadableError(err.imageName, err.version, err.message);
      throw err;
    });
    deps.log.info({ ...stats, missing: stats.missing.length, dryRun }, 'image store garbage collection');
    // Unreferenced chunks too young to go (a version deleted soon after its capture): once they
    // are past the grace period, another collection takes them.
    if (!dryRun && stats.keptYoung > 0 && timer === null) schedule(graceMs + afterDeleteMs);
    if (stats.missing.length > 0)
      deps.log.error({ missing: stats.missing.slice(0, 20) }, 'chunks referenced by a version are missing');
    return stats;
  }

  /** One collection at a time: a caller waits for the running one, then runs its own. */
  async function collect(options: { dryRun?: boolean } = {}): Promise<GcStats> {
    while (running) await running.catch(() => undefined);
    const run = sweep(options.dryRun === true).finally(() => {
      running = null;
    });
    running = run;
    return run;
  }

  /**
   * Removes the manifest files of deleted versions (by digest, under any image name: an image
   * renamed after a capture has its older manifests under its old name), unless another version
   * in the database has the very same manifest. Returns how many files went, and the digests now
   * settled (no file of them left, or kept for a version that has it): those are marked in the
   * record of deleted versions; the others are tried again by the next collection.
   */
  async function forgetManifests(digests: readonly string[]): Promise<{ removed: number; failed: number }> {
    const stillUsed = await databaseDigests(deps.db, digests);
    const gone = new Set(digests.filter((d) => !stillUsed.has(d)));
    const failed = new Set<string>();
    let removed = 0;
    if (gone.size > 0) {
      for (const name of await store.manifests.listImages()) {
        for (const version of await store.manifests.listVersions(name)) {
          const digest = await store.manifests.read(name, version).then(manifestDigest, () => null);
          if (digest === null || !gone.has(digest)) continue;
          try {
            await store.manifests.removeVersion(name, version);
            removed++;
          } catch (err) {
            failed.add(digest);
            deps.log.error(
              { err, image: name, version },
              "removing a deleted version's manifest file failed",
            );
          }
        }
      }
    }
    await markManifestFilesGone(
      deps.db,
      digests.filter((d) => !failed.has(d)),
    );
    return { removed, failed: failed.size };
  }

  /** Manifest files of deleted versions that an earlier removal left (it failed, or the server stopped). */
  async function forgetLeftovers(): Promise<void> {
    const pending = await manifestsToRemove(deps.db);
    if (pending.length === 0) return;
    const { removed } = await forgetManifests(pending);
    if (removed > 0) deps.log.info({ removed }, 'leftover manifest files of deleted image versions removed');
  }

  function schedule(delayMs = afterDeleteMs): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      collect().catch((err: unknown) => {
        if (err instanceof StoreBusyError) schedule();
        else deps.log.error({ err }, 'image store garbage collection failed');
      });
    }, delayMs);
    timer.unref();
  }

  return {
    collect,
    /** Resolves once no collection is running (captures wait for it: see TransferDeps.storeIdle). */
    async whenIdle(): Promise<void> {
      while (running) await running.catch(() => undefined);
    },
    /**
     * Versions were deleted (their manifests' digests): their manifest files go now, their chunks
     * with the collection this schedules. Never throws: the rows are gone whatever happens here.
     */
    async versionsDeleted(digests: readonly string[]): Promise<void> {
      try {
        const { removed } = await forgetManifests(digests);
        if (removed > 0) deps.log.info({ removed }, 'manifest files of deleted image versions removed');
      } catch (err) {
        deps.log.error({ err }, 'removing the manifest files of deleted versions failed');
      }
      schedule();
    },
    /**
     * At server start: manifest files an earlier process's deletions left behind (it stopped
     * before removing them) get a collection after the usual delay. Never throws.
     */
    async start(): Promise<void> {
      try {
        if ((await manifestsToRemove(deps.db)).length > 0) schedule();
      } catch (err) {
        deps.log.error({ err }, 'looking for leftover manifest files of deleted versions failed');
      }
    },
    /** No more scheduled collections (the server is stopping). */
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

export type StoreGc = ReturnType<typeof createStoreGc>;
