/**
 * FOG's image replicator, verified (FOG #755): every pass pushes the current version of every
 * image with `replicate` on to each enabled REPLICA storage node that has a token. Each chunk is
 * read back and verified here before it is sent, and verified again by the node before it stores
 * it; the version lands on the node only once every chunk is there. A pass asks the node which
 * chunks it lacks even for versions it took before, so a node that lost files gets them back.
 * Images deleted here are deleted on the nodes too (recorded deletions only: PROTOCOL.md, 4).
 */

import { and, asc, count, desc, eq, isNotNull, lt, sql } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import { rowsByIds } from '../db/rows-by-ids.ts';
import type { ImageEvent } from '../images/image-events.ts';
import { type ImageRow, images, imageVersions } from '../images/images-table.ts';
import { boundedRun, CorruptChunkError, parseManifest, referencedHashes } from '../imaging/index.ts';
import type { StorageService } from '../storage/storage-service.ts';
import { type StorageNodeRow, storageNodes } from '../storage/storage-table.ts';
import type { ReplicationFailure } from '../webhooks/webhook-payloads.ts';
import { createReplicaClient, ReplicaRefusedError } from './replica-client.ts';
import { type ImageReplicaRow, imageReplicas, replicaDeletions } from './replication-table.ts';

const MISSING_GROUP = 4096;
const CHUNKS_AT_ONCE = 4;
/** The first pass after start-up: soon, but not in the way of the start itself. */
const FIRST_PASS_MS = 30_000;
/** After a capture or a deletion: a pass this soon (a second change meanwhile joins it). */
const NUDGE_MS = 30_000;
/** How long a deletion waits for a node that does not answer. */
const DELETION_KEEP_MS = 30 * 24 * 3600_000;

export interface ReplicationSources {
  /** The chunk's stored bytes from this server's store. */
  readonly readChunk: (hash: string) => Promise<Uint8Array>;
  /** Resolves when the stored bytes decode to `hash` (CorruptChunkError otherwise). */
  readonly verify: (hash: string, compressed: Uint8Array) => Promise<number>;
  readonly storage: StorageService;
  /** Told of each failed version (the REPLICATION_FAILED webhook). */
  readonly failed?: (failure: ReplicationFailure) => void;
}

type Target = StorageNodeRow & { replicationToken: string };
/** What a pass goes through: manifests (megabytes each) are read one version at a time, in push. */
type Replicable = { image: ImageRow; version: { id: string; number: number; current: boolean } };

export function createReplicationService(deps: ServiceDeps, sources: ReplicationSources) {
  const { db, now, config } = deps;
  const log = deps.log.child({ service: 'replication' });
  let running: Promise<void> | null = null;
  let followUp: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  /** When `timer` fires (epoch ms). */
  let nextAt = 0;
  /** Passes in a row that had a failed version: the retry delay doubles with each. */
  let failedPasses = 0;
  let started = false;
  let nudge: NodeJS.Timeout | null = null;
  let watching: { return(): unknown } | null = null;

  async function targets(nodeId?: string): Promise<Target[]> {
    const rows = await db
      .select()
      .from(storageNodes)
      .where(
        and(
          eq(storageNodes.role, 'REPLICA'),
          eq(storageNodes.enabled, true),
          isNotNull(storageNodes.replicationToken),
          nodeId ? eq(storageNodes.id, nodeId) : undefined,
        ),
      )
      .orderBy(asc(storageNodes.name));
    return rows.filter((n): n is Target => n.replicationToken !== null && n.replicationToken !== '');
  }

  const replicable = (): Promise<Replicable[]> =>
    db
      .select({
        image: images,
        version: { id: imageVersions.id, number: imageVersions.number, current: imageVersions.current },
      })
      .from(imageVersions)
      .innerJoin(images, eq(images.id, imageVersions.imageId))
      .where(and(eq(imageVersions.current, true), eq(images.replicate, true), eq(images.enabled, true)))
      .orderBy(asc(images.name));

  const pair = (nodeId: string, versionId: string) =>
    and(eq(imageReplicas.storageNodeId, nodeId), eq(imageReplicas.imageVersionId, versionId));

  /** A new attempt: the row is created, or reset with its attempts counted. */
  async function begin(nodeId: string, versionId: string) {
    const fresh = {
      state: 'REPLICATING' as const,
      startedAt: now(),
      finishedAt: null,
      error: null,
      chunksSent: 0,
      bytesSent: 0,
    };
    await db
      .insert(imageReplicas)
      .values({ storageNodeId: nodeId, imageVersionId: versionId, attempts: 1, ...fresh })
      .onConflictDoUpdate({
        target: [imageReplicas.storageNodeId, imageReplicas.imageVersionId],
        set: { ...fresh, attempts: sql`${imageReplicas.attempts} + 1` },
      });
  }

  async function finish(nodeId: string, versionId: string, fields: Partial<ImageReplicaRow>) {
    await db
      .update(imageReplicas)
      .set({ finishedAt: now(), ...fields })
      .where(pair(nodeId, versionId));
  }

  /** The node's replication routes, called as this server. */
  const clientOf = (node: Target) =>
    createReplicaClient(
      { name: node.name, url: node.url, token: node.replicationToken },
      config.replication.nodeName,
    );

  /** Sends what the node lacks of one version, then the version itself. */
  async function push(node: Target, { image, version }: Replicable) {
    const client = clientOf(node);
    const [row] = await db
      .select({ manifest: imageVersions.manifest })
      .from(imageVersions)
      .where(eq(imageVersions.id, version.id));
    const manifest = parseManifest(JSON.stringify(row?.manifest ?? null), `version ${version.id}`);
    const hashes = [...referencedHashes(manifest)];
    const missing: string[] = [];
    for (let i = 0; i < hashes.length; i += MISSING_GROUP) {
      missing.push(...(await client.missing(hashes.slice(i, i + MISSING_GROUP))));
    }
    let chunksSent = 0;
    let bytesSent = 0;
    await boundedRun(missing.length, CHUNKS_AT_ONCE, async (i) => {
      const hash = missing[i] as string;
      const compressed = await sources.readChunk(hash);
      await sources.verify(hash, compressed);
      await client.putChunk(hash, compressed);
      chunksSent++;
      bytesSent += compressed.length;
    });
    const { keepVersions, name, description, osType, imageType } = image;
    await client.putVersion(version.id, {
      image: { name, description, osType, imageType, keepVersions },
      number: version.number,
      current: version.current,
      manifest,
    });
    return { chunksSent, bytesSent };
  }

  function reasonOf(err: unknown): string {
    if (err instanceof CorruptChunkError) {
      return `${err.message}, in this server's store: not sent (deploys of this version fail on it too)`;
    }
    return err instanceof Error ? err.message : String(err);
  }

  /**
   * Tells the node of the images deleted here since it last heard (before any version is pushed,
   * so an image deleted and made again under its name arrives new). A node that keeps its copy
   * (not received from here, protected there) has answered; one that uses it hears again.
   */
  async function sendDeletions(node: Target): Promise<{ failures: number }> {
    const pending = await db
      .select()
      .from(replicaDeletions)
      .where(sql`not (${node.id}::uuid = any(${replicaDeletions.nodesDone}))`)
      .orderBy(asc(replicaDeletions.deletedAt));
    if (pending.length === 0) return { failures: 0 };
    const client = clientOf(node);
    let failures = 0;
    for (const deletion of pending) {
      const about = { node: node.name, image: deletion.imageName };
      try {
        const { deleted } = await client.deleteImage(deletion.imageName);
        log.info({ ...about, deleted }, deleted ? 'replica deleted' : 'replica had no copy');
      } catch (err) {
        const kept =
          err instanceof ReplicaRefusedError && ['IMAGE_NOT_REPLICA', 'IMAGE_PROTECTED'].includes(err.code);
        if (!kept) {
          failures++;
          log.warn({ ...about, reason: reasonOf(err) }, 'deletion not sent');
          if (err instanceof ReplicaRefusedError && err.nodeWide) return { failures };
          continue;
        }
        log.info({ ...about, reason: reasonOf(err) }, 'the node keeps its copy');
      }
      await db
        .update(replicaDeletions)
        .set({ nodesDone: sql`array_append(${replicaDeletions.nodesDone}, ${node.id}::uuid)` })
        .where(eq(replicaDeletions.id, deletion.id));
    }
    return { failures };
  }

  /** Deletions, then each version to the node; the number that failed. */
  async function replicateNode(node: Target, versions: readonly Replicable[]): Promise<number> {
    // A node down for the deletions fails its first version the same way, recorded and told.
    let failures = (await sendDeletions(node)).failures;
    for (const item of versions) {
      const [before] = await db
        .select({ state: imageReplicas.state })
        .from(imageReplicas)
        .where(pair(node.id, item.version.id));
      await begin(node.id, item.version.id);
      try {
        const sent = await push(node, item);
        await finish(node.id, item.version.id, { state: 'DONE', ...sent });
        await sources.storage.touchStorageNode(node.id);
        log.info(
          { node: node.name, image: item.image.name, version: item.version.number, ...sent },
          'replicated',
        );
      } catch (err) {
        failures++;
        const reason = reasonOf(err);
        await finish(node.id, item.version.id, { state: 'FAILED', error: reason });
        log.warn(
          { node: node.name, image: item.image.name, version: item.version.number, reason },
          'replication failed',
        );
        // Told once when it breaks, not at every pass while a node stays down.
        if (before?.state !== 'FAILED')
          sources.failed?.({
            node: { id: node.id, name: node.name, url: node.url },
            image: { id: item.image.id, name: item.image.name, version: item.version.number },
            error: reason,
          });
        // The node's other versions would fail the same way: they wait for the next pass.
        if (err instanceof ReplicaRefusedError && err.nodeWide) return failures;
      }
    }
    return failures;
  }

  /**
   * One pass over every node (or one). Asked for while a pass runs, it runs once that one is
   * done, over every node: one follow-up covers whatever was asked meanwhile.
   */
  function runPass(nodeId?: string): Promise<void> {
    if (running) {
      followUp ??= running.then(() => {
        followUp = null;
        return runPass();
      });
      return followUp;
    }
    running = (async () => {
      let failures = 0;
      try {
        await db
          .delete(replicaDeletions)
          .where(lt(replicaDeletions.deletedAt, new Date(now().getTime() - DELETION_KEEP_MS)));
        const [nodes, versions] = await Promise.all([targets(nodeId), replicable()]);
        for (const node of nodes) failures += await replicateNode(node, versions);
      } catch (err) {
        failures++;
        log.error({ err }, 'replication pass failed');
      } finally {
        running = null;
        afterPass(failures > 0);
      }
    })();
    return running;
  }

  function schedule(ms: number) {
    if (timer) clearTimeout(timer);
    nextAt = Date.now() + ms;
    timer = setTimeout(() => {
      timer = null;
      void runPass();
    }, ms);
    timer.unref();
  }

  /**
   * The next timed pass: the period after a clean pass; sooner after one where a version failed
   * (the retry delay, doubling while failures go on, never later than the period). A pass asked
   * for meanwhile (a capture, replicateImages) moves the timer only to bring a retry closer.
   */
  function afterPass(failed: boolean) {
    if (!started) return;
    const { intervalMs, retryMs } = config.replication;
    if (failed && retryMs > 0) {
      const delay = Math.min(intervalMs, retryMs * 2 ** Math.min(failedPasses, 20));
      failedPasses++;
      if (timer === null || nextAt - Date.now() > delay) schedule(delay);
      return;
    }
    if (!failed) failedPasses = 0;
    if (timer === null) schedule(intervalMs);
  }

  /**
   * A new or newly current version, or a deletion, goes out within NUDGE_MS, not at the next
   * period. (The deletion itself was recorded in its own transaction: recordReplicaDeletion.)
   */
  async function watchVersions(events: AsyncIterable<ImageEvent>) {
    for await (const event of events) {
      if (event.kind === 'DELETED') {
        if (!event.image.replicate) continue;
        log.info({ image: event.image.name }, 'deleted here: its replicas are told at the next pass');
      } else if (event.kind !== 'VERSION_PUBLISHED' && event.kind !== 'CURRENT_VERSION_CHANGED') continue;
      // Without a period (0), passes run only when asked for.
      if (nudge || !started) continue;
      nudge = setTimeout(() => {
        nudge = null;
        void runPass();
      }, NUDGE_MS);
      nudge.unref();
    }
  }

  return {
    runPass,
    /** Whether a pass is running now, or follows the one running. */
    busy: () => running !== null || followUp !== null,
    /** The periodic pass, and passes soon after captures; none when the interval is 0. */
    start() {
      // Watched even without a period: the log names each replicated image deleted here.
      if (watching === null) {
        const events = deps.pubsub.subscribe('imageEvents', { internal: true });
        watching = events;
        void watchVersions(events).catch((err: unknown) => log.error({ err }, 'replication watch failed'));
      }
      if (config.replication.intervalMs === 0 || started) return;
      started = true;
      schedule(Math.min(FIRST_PASS_MS, config.replication.intervalMs));
    },
    stop() {
      started = false;
      for (const t of [timer, nudge]) if (t) clearTimeout(t);
      timer = null;
      nudge = null;
      void watching?.return();
      watching = null;
    },
    countReplicas: async (nodeId: string) =>
      (await db.select({ n: count() }).from(imageReplicas).where(eq(imageReplicas.storageNodeId, nodeId)))[0]
        ?.n ?? 0,
    /** How this node's versions stand: one count per state, and the newest failure's reason. */
    async summary(nodeId: string) {
      const counts = await db
        .select({ state: imageReplicas.state, n: count() })
        .from(imageReplicas)
        .where(eq(imageReplicas.storageNodeId, nodeId))
        .groupBy(imageReplicas.state);
      const [failed] = await db
        .select({ error: imageReplicas.error })
        .from(imageReplicas)
        .where(and(eq(imageReplicas.storageNodeId, nodeId), eq(imageReplicas.state, 'FAILED')))
        .orderBy(desc(imageReplicas.finishedAt))
        .limit(1);
      const of = (state: string) => counts.find((c) => c.state === state)?.n ?? 0;
      return {
        done: of('DONE'),
        failed: of('FAILED'),
        replicating: of('REPLICATING'),
        lastError: failed?.error ?? null,
      };
    },
    /** Newest attempts first. */
    listReplicas: (nodeId: string, window: { offset: number; limit: number }) =>
      db
        .select()
        .from(imageReplicas)
        .where(eq(imageReplicas.storageNodeId, nodeId))
        .orderBy(desc(imageReplicas.startedAt), asc(imageReplicas.id))
        .offset(window.offset)
        .limit(window.limit),
    getReplicas: (ids: readonly string[]) => rowsByIds(db, imageReplicas, imageReplicas.id, ids),
  };
}

export type ReplicationService = ReturnType<typeof createReplicationService>;
