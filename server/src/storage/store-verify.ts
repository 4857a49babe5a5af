/**
 * Checking an image version's chunks in the store on demand (`verifyImageVersion`): every chunk it
 * references is read, decoded and hashed, as a deploy would, so a damaged disk under the store is
 * found before thirty machines are deployed from it rather than during. Nothing is changed: a
 * damaged version stays as it is, with the chunks at fault listed (recapturing, or a replica's
 * copy, repairs it).
 *
 * One check runs at a time, in request order (the store's disk is shared with captures and deploys);
 * the others wait QUEUED, one per version (asking again returns the waiting one). One codec worker
 * keeps the event loop free. Progress is written to the row about once a second. A check that was
 * RUNNING when the server stopped is ABORTED with that reason at the next start; QUEUED ones run.
 * With `BRUME_VERIFY_EVERY_DAYS` set, the current versions due for one are queued once an hour
 * while the clock is in `BRUME_VERIFY_HOUR` (storage-config.ts).
 */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import { rowsOf } from '../db/database.ts';
import { rowsByIds } from '../db/rows-by-ids.ts';
import { onlyUuids } from '../hosts/sql-helpers.ts';
import { ImageVersionNotFoundError } from '../images/image-errors.ts';
import type { ImageRow, ImageVersionRow } from '../images/images-table.ts';
import { versionManifest } from '../images/version-manifest.ts';
import {
  type Manifest,
  OperationAbortedError,
  openLocalStore,
  referencedHashes,
  verifyImage,
} from '../imaging/index.ts';
import type { ImageDamage } from '../webhooks/webhook-payloads.ts';
import { ImageVerificationNotFoundError } from './storage-errors.ts';
import {
  type ChunkProblemRecord,
  type ImageVerificationRow,
  imageVerifications,
  type VerificationState,
} from './storage-table.ts';

/** Problems kept in the row; a store with a failing disk could otherwise list every chunk. */
export const MAX_RECORDED_PROBLEMS = 100;
const PROGRESS_EVERY_MS = 1000;

export interface StoreVerifyDeps {
  readonly images: {
    getVersion(id: string): Promise<ImageVersionRow | undefined>;
    getImage(id: string): Promise<ImageRow | undefined>;
  };
  /** A check found damage (the IMAGE_DAMAGED webhook). */
  readonly damaged?: (damage: ImageDamage) => void;
}

export interface VerificationRequest {
  readonly verification: ImageVerificationRow;
  /** A check of that version was already waiting or running: that one is returned. */
  readonly alreadyActive: boolean;
}

export function createStoreVerify(deps: ServiceDeps, { images, damaged }: StoreVerifyDeps) {
  const { db, now, log, config, pubsub } = deps;
  const store = openLocalStore(config.core.imagesDir);
  let draining: Promise<void> | null = null;
  /** The running check: its row, its abort switch, and why it was stopped (null: the server stops). */
  let current: {
    id: string;
    abort: AbortController;
    cancelledBy: string | null;
    done: Promise<void>;
  } | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let lookingAgain: Promise<unknown> = Promise.resolve();

  /** Consoles reload an image on its events: a version's check started or ended. */
  async function announce(version: ImageVersionRow | undefined): Promise<void> {
    const image = version && (await images.getImage(version.imageId));
    if (image) pubsub.publish('imageEvents', { kind: 'UPDATED', image });
  }

  async function finish(
    id: string,
    version: ImageVersionRow | undefined,
    state: VerificationState,
    set: Partial<ImageVerificationRow>,
  ) {
    const [row] = await db
      .update(imageVerifications)
      .set({ ...set, state, finishedAt: now() })
      .where(eq(imageVerifications.id, id))
      .returning();
    await announce(version);
    if (state === 'DAMAGED' && row && version && damaged) {
      const image = await images.getImage(version.imageId);
      if (image)
        damaged({
          image: { id: image.id, name: image.name, version: version.number },
          verification: { id: row.id, chunksTotal: row.chunksTotal, problemCount: row.problemCount },
          reason: row.reason,
        });
    }
  }

  /** Claims a QUEUED check and runs it to its end; never throws. */
  async function runOne(queued: ImageVerificationRow): Promise<void> {
    const [row] = await db
      .update(imageVerifications)
      .set({ state: 'RUNNING', startedAt: now() })
      .where(and(eq(imageVerifications.id, queued.id), eq(imageVerifications.state, 'QUEUED')))
      .returning();
    if (!row) return;
    // Before anything else: a stop while the version loads aborts this check too.
    const abort = new AbortController();
    let ended: () => void = () => {};
    const running = {
      id: row.id,
      abort,
      cancelledBy: null as string | null,
      done: new Promise<void>((resolve) => {
        ended = resolve;
      }),
    };
    current = running;
    try {
      await check(row, abort, running);
    } finally {
      current = null;
      ended();
    }
  }

  async function check(
    row: ImageVerificationRow,
    abort: AbortController,
    running: { readonly cancelledBy: string | null },
  ): Promise<void> {
    const version = await images.getVersion(row.imageVersionId);
    let manifest: Manifest;
    try {
      if (!version) throw new ImageVersionNotFoundError(row.imageVersionId);
      ({ manifest } = versionManifest(version));
    } catch (err) {
      await finish(row.id, version, 'DAMAGED', { reason: (err as Error).message });
      return;
    }
    await announce(version);
    let checked = 0;
    let bytes = 0;
    let lastWrite = Date.now();
    let writing: Promise<unknown> = Promise.resolve();
    const sink = {
      block: () => {
        checked++;
        if (Date.now() - lastWrite < PROGRESS_EVERY_MS) return;
        lastWrite = Date.now();
        const progress = { chunksChecked: checked, bytesChecked: bytes };
        writing = writing.then(() =>
          db.update(imageVerifications).set(progress).where(eq(imageVerifications.id, row.id)),
        );
      },
      progress: (c: { bytesDone: number }) => {
        bytes = c.bytesDone;
      },
    };
    try {
      const result = await verifyImage({
        store: store.chunks,
        manifest,
        progress: sink,
        signal: abort.signal,
        workers: 1,
      });
      await writing.catch(() => undefined);
      const problems: ChunkProblemRecord[] = result.problems
        .slice(0, MAX_RECORDED_PROBLEMS)
        .map(({ hash, code, error }) => ({ hash, code, error }));
      await finish(row.id, version, result.problems.length === 0 ? 'PASSED' : 'DAMAGED', {
        chunksChecked: result.chunks,
        bytesChecked: bytes,
        problemCount: result.problems.length,
        problems,
      });
      if (result.problems.length > 0)
        log.error(
          { versionId: row.imageVersionId, problems: result.problems.length },
          'image version verification found damaged chunks',
        );
    } catch (err) {
      await writing.catch(() => undefined);
      const why = running.cancelledBy === null ? 'the server stopped' : `cancelled by ${running.cancelledBy}`;
      const reason = err instanceof OperationAbortedError ? why : (err as Error).message;
      await finish(row.id, version, 'ABORTED', { chunksChecked: checked, bytesChecked: bytes, reason });
    }
  }

  async function drain(): Promise<void> {
    while (!stopped) {
      const [next] = await db
        .select()
        .from(imageVerifications)
        .where(eq(imageVerifications.state, 'QUEUED'))
        .orderBy(asc(imageVerifications.createdAt))
        .limit(1);
      if (!next) return;
      await runOne(next).catch((err: unknown) =>
        log.error({ err, verificationId: next.id }, 'image version verification failed'),
      );
    }
  }

  function kick(): void {
    if (stopped || draining) return;
    draining = drain()
      .catch((err: unknown) => log.error({ err }, 'image version verifications stopped'))
      .finally(() => {
        draining = null;
        // A request that arrived while the last check was ending (awaited by stop(): the
        // database closes after it).
        lookingAgain = pending().then(
          (n) => n > 0 && kick(),
          (err: unknown) => stopped || log.error({ err }, 'looking for waiting image version checks failed'),
        );
      });
  }

  async function pending(): Promise<number> {
    if (stopped) return 0;
    const rows = await db
      .select({ id: imageVerifications.id })
      .from(imageVerifications)
      .where(eq(imageVerifications.state, 'QUEUED'))
      .limit(1);
    return rows.length;
  }

  /**
   * Current versions with no completed check (PASSED or DAMAGED) since `cutoff` and none waiting
   * or running: an ABORTED one does not count, the server stopped under it.
   */
  async function dueVersions(cutoff: Date): Promise<string[]> {
    const rows = rowsOf<{ id: string }>(
      await db.execute(sql`
        select v.id from image_versions v
        where v.current and not exists (
          select 1 from image_verifications c
          where c.image_version_id = v.id
            and (c.state in ('QUEUED', 'RUNNING') or (c.state in ('PASSED', 'DAMAGED') and c.finished_at > ${cutoff.toISOString()}::timestamptz)))
        order by v.created_at`),
    );
    return rows.map((r) => r.id);
  }

  const service = {
    /** Queues a check of the version (or returns the one waiting or running for it). */
    async verifyImageVersion(versionId: string, requestedById: string | null): Promise<VerificationRequest> {
      const version = await images.getVersion(versionId);
      if (!version) throw new ImageVersionNotFoundError(versionId);
      let chunksTotal = 0;
      try {
        chunksTotal = referencedHashes(versionManifest(version).manifest).size;
      } catch {
        // Unreadable: the check itself says so (DAMAGED, with the reason).
      }
      const [made] = await db
        .insert(imageVerifications)
        .values({ imageVersionId: versionId, chunksTotal, requestedById })
        .onConflictDoNothing()
        .returning();
      if (made) {
        kick();
        return { verification: made, alreadyActive: false };
      }
      const [active] = await db
        .select()
        .from(imageVerifications)
        .where(
          and(
            eq(imageVerifications.imageVersionId, versionId),
            inArray(imageVerifications.state, ['QUEUED', 'RUNNING']),
          ),
        );
      // It ended between the two statements: ask again.
      if (!active) return service.verifyImageVersion(versionId, requestedById);
      return { verification: active, alreadyActive: true };
    },

    getVerifications: (ids: readonly string[]) =>
      rowsByIds(db, imageVerifications, imageVerifications.id, ids),

    /** The latest check of each of these versions (versions never checked have none). */
    async lastVerifications(versionIds: readonly string[]): Promise<ImageVerificationRow[]> {
      const valid = onlyUuids(versionIds);
      if (valid.length === 0) return [];
      return db
        .selectDistinctOn([imageVerifications.imageVersionId])
        .from(imageVerifications)
        .where(inArray(imageVerifications.imageVersionId, valid))
        .orderBy(imageVerifications.imageVersionId, desc(imageVerifications.createdAt));
    },

    /**
     * Stops a waiting or running check (ABORTED, "cancelled by <who>"); one that has ended is
     * returned as it is. Resolves once the row says so.
     */
    async cancel(id: string, by: string): Promise<ImageVerificationRow> {
      // The running one is stopped before anything is awaited: its work ends at once.
      const stopRunning = async () => {
        const running = current;
        if (running?.id !== id) return false;
        running.cancelledBy = by;
        running.abort.abort();
        await running.done;
        return true;
      };
      if (!(await stopRunning())) {
        const [waiting] = await db
          .update(imageVerifications)
          .set({ state: 'ABORTED', reason: `cancelled by ${by}`, finishedAt: now() })
          .where(and(eq(imageVerifications.id, id), eq(imageVerifications.state, 'QUEUED')))
          .returning();
        if (waiting) await announce(await images.getVersion(waiting.imageVersionId));
        // Claimed by the runner while this was asked: it is running now.
        else await stopRunning();
      }
      const [row] = await service.getVerifications([id]);
      if (!row) throw new ImageVerificationNotFoundError(id);
      return row;
    },

    /** Queues a check of every current version whose last completed one is older than `everyMs`. */
    async queueDue(everyMs: number): Promise<number> {
      const due = await dueVersions(new Date(now().getTime() - everyMs));
      for (const id of due) await service.verifyImageVersion(id, null);
      if (due.length > 0) log.info({ versions: due.length }, 'scheduled image version checks queued');
      return due.length;
    },

    /** The scheduled checks' clock: in the configured hour, what is due is queued (at most hourly). */
    async tick(): Promise<number> {
      const { verifyEveryMs, verifyHour } = config.storage;
      if (verifyEveryMs === 0 || now().getHours() !== verifyHour) return 0;
      // Less the hour: a check done at 03:10 is due again at 03:05 a period later, not a day late.
      return service.queueDue(verifyEveryMs - 3600_000);
    },

    /** At server start: a check the last process left RUNNING is ABORTED; QUEUED ones run. */
    async start(): Promise<void> {
      await db
        .update(imageVerifications)
        .set({ state: 'ABORTED', reason: 'the server stopped while it ran', finishedAt: now() })
        .where(eq(imageVerifications.state, 'RUNNING'));
      kick();
      if (config.storage.verifyEveryMs > 0 && timer === null) {
        const tock = () =>
          void service.tick().catch((err: unknown) => log.error({ err }, 'scheduled image checks failed'));
        timer = setInterval(tock, 3600_000);
        timer.unref();
        tock();
      }
    },

    /** The running check is ABORTED ("the server stopped"); QUEUED ones wait for the next start. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      current?.abort.abort();
      await draining;
      await lookingAgain;
    },
  };
  return service;
}

export type StoreVerify = ReturnType<typeof createStoreVerify>;
