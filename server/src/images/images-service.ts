import { and, desc, eq, inArray } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { Executor } from '../db/database.ts';
import { InputValidationError } from '../graphql/input-validation-error.ts';
import { checkDescription } from '../hosts/host-input-rules.ts';
import { OPEN_SESSION_STATES } from '../multicast/multicast-states.ts';
import { multicastSessions } from '../multicast/multicast-table.ts';
import { ACTIVE_TASK_STATES } from '../tasks/task-state-machine.ts';
import { tasks } from '../tasks/tasks-table.ts';
import { type DeletedVersion, recordDeletedVersions } from './deleted-versions.ts';
import {
  DuplicateImageNameError,
  ImageInUseError,
  ImageNotFoundError,
  ImageProtectedError,
  ImageVersionCurrentError,
  ImageVersionNotFoundError,
  InvalidImageNameError,
} from './image-errors.ts';
import type { ImageEventKind } from './image-events.ts';
import type { ImageType, OsType } from './image-kinds.ts';
import { isValidImageName } from './image-name.ts';
import * as store from './image-store.ts';
import { createImageVersionPublisher, type PublishImageVersionInput } from './image-version-publisher.ts';
import { type ImageRow, type ImageVersionRow, images, imageVersions } from './images-table.ts';
import { createReplicaVersions } from './replica-versions.ts';
import { createStoreVersions } from './store-versions.ts';

export interface CreateImageInput {
  readonly name: string;
  readonly description?: string | null;
  readonly osType: OsType;
  readonly imageType: ImageType;
  /** Versions kept after each capture; 0 or absent keeps all. */
  readonly keepVersions?: number | null;
  /** Pushed to the REPLICA storage nodes (default true, as in FOG). */
  readonly replicate?: boolean | null;
}

export interface UpdateImageInput {
  readonly id: string;
  readonly name?: string | null;
  readonly description?: string | null;
  readonly osType?: OsType | null;
  readonly imageType?: ImageType | null;
  readonly enabled?: boolean | null;
  readonly replicate?: boolean | null;
  /** 0 keeps every version from now on; absent leaves the setting as it is. */
  readonly keepVersions?: number | null;
}

const MAX_KEEP_VERSIONS = 1000;

/** The stored setting (null: keep all) of an input value; undefined when the input has none. */
function checkKeepVersions(value: number | null | undefined): number | null | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > MAX_KEEP_VERSIONS) {
    throw new InputValidationError([
      { path: ['input', 'keepVersions'], message: `between 0 (keep all) and ${MAX_KEEP_VERSIONS}` },
    ]);
  }
  return value === 0 ? null : value;
}

function checkImageName(name: string): string {
  if (!isValidImageName(name)) throw new InvalidImageNameError(name);
  return name;
}

async function mustLock(db: Executor, id: string): Promise<ImageRow> {
  const image = await store.lockImage(db, id, 'update');
  if (!image) throw new ImageNotFoundError(id);
  return image;
}

/**
 * Refused while an active task or an open multicast session uses the image, or with `versionId`,
 * is pinned to that version.
 */
async function assertUnused(db: Executor, imageId: string, versionId?: string): Promise<void> {
  const [task] = await db
    .select({ id: tasks.id })
    .from(tasks)
    .where(
      and(
        versionId ? eq(tasks.imageVersionId, versionId) : eq(tasks.imageId, imageId),
        inArray(tasks.state, [...ACTIVE_TASK_STATES]),
      ),
    )
    .limit(1);
  const [session] = await db
    .select({ id: multicastSessions.id })
    .from(multicastSessions)
    .where(
      and(
        versionId ? eq(multicastSessions.imageVersionId, versionId) : eq(multicastSessions.imageId, imageId),
        inArray(multicastSessions.state, [...OPEN_SESSION_STATES]),
      ),
    )
    .limit(1);
  if (task || session) throw new ImageInUseError(imageId);
}

export interface ImagesServiceHooks {
  /**
   * Versions were deleted (the digests of their manifests), after the transaction: the image
   * store removes their manifest files and gets their chunks back.
   */
  readonly versionsDeleted?: (manifestDigests: readonly string[]) => Promise<void>;
  /**
   * An image is being deleted, inside the deleting transaction: what must be written with the
   * deletion or not at all (replication's record for the replicas; a crash can not separate them).
   */
  readonly imageDeleting?: (tx: Executor, image: ImageRow) => Promise<void>;
  /**
   * Another version was made current, after the transaction: the image store's own pointer
   * follows, so a store read without the database (the local CLI, an import after the database
   * was lost) deploys what the lab deploys.
   */
  readonly currentVersionChanged?: (image: ImageRow, version: ImageVersionRow) => Promise<void>;
}

export function createImagesService(deps: ServiceDeps, hooks: ImagesServiceHooks = {}) {
  const { db, pubsub, now } = deps;
  const versionsDeleted = (digests: readonly string[]) =>
    digests.length > 0 ? hooks.versionsDeleted?.(digests) : undefined;
  const publish = (kind: ImageEventKind, image: ImageRow) => pubsub.publish('imageEvents', { kind, image });

  async function changeImage(id: string, change: (tx: Executor, image: ImageRow) => Promise<void>) {
    const image = await db.transaction(async (tx) => {
      const locked = await mustLock(tx, id);
      await change(tx, locked);
      return (await store.selectImage(tx, id))!;
    });
    publish('UPDATED', image);
    return image;
  }

  /**
   * Deletes the versions past the image's `keepVersions`: all but that many newest ones and the
   * current one, except those an active task or open multicast session is pinned to (the next
   * capture prunes them). Never throws: the capture or update that calls it has succeeded.
   */
  async function pruneVersions(imageId: string): Promise<void> {
    try {
      const digests = await db.transaction(async (tx) => {
        const image = await store.lockImage(tx, imageId, 'update');
        const keep = image?.keepVersions ?? null;
        if (image === undefined || keep === null) return [];
        // Not the manifests (megabytes each): only what deciding needs.
        const versions = await tx
          .select({
            id: imageVersions.id,
            number: imageVersions.number,
            current: imageVersions.current,
            manifestHash: imageVersions.manifestHash,
          })
          .from(imageVersions)
          .where(eq(imageVersions.imageId, imageId))
          .orderBy(desc(imageVersions.number));
        const past = versions.filter((v, i) => i >= keep && !v.current);
        const gone: DeletedVersion[] = [];
        for (const version of past) {
          const pinned = await assertUnused(tx, imageId, version.id).then(
            () => false,
            () => true,
          );
          if (pinned) continue;
          await tx.delete(imageVersions).where(eq(imageVersions.id, version.id));
          gone.push({ manifestHash: version.manifestHash, imageName: image.name, number: version.number });
        }
        await recordDeletedVersions(tx, gone, now());
        return gone.map((v) => v.manifestHash);
      });
      if (digests.length === 0) return;
      const image = await store.selectImage(db, imageId);
      if (image) publish('UPDATED', image);
      await versionsDeleted(digests);
    } catch (err) {
      deps.log.error({ err, imageId }, 'pruning old image versions failed');
    }
  }

  const publisher = createImageVersionPublisher(deps);
  const replicas = createReplicaVersions(deps, { prune: pruneVersions });
  const storeVersions = createStoreVersions(deps);

  return {
    adoptReplicaVersion: replicas.adoptReplicaVersion,
    registerStoreVersions: storeVersions.registerStoreVersions,
    /** Publishes a captured version, then prunes the image to its `keepVersions`. */
    async publishImageVersion(input: PublishImageVersionInput): Promise<ImageVersionRow> {
      const version = await publisher.publishImageVersion(input);
      await pruneVersions(input.imageId);
      return version;
    },

    async createImage(input: CreateImageInput): Promise<ImageRow> {
      const name = checkImageName(input.name);
      const description = checkDescription(input.description ?? '');
      const keepVersions = checkKeepVersions(input.keepVersions) ?? null;
      try {
        const image = await db.transaction(async (tx) => {
          if (await store.imageNameTaken(tx, name)) throw new DuplicateImageNameError(name);
          const [row] = await tx
            .insert(images)
            .values({
              name,
              description,
              osType: input.osType,
              imageType: input.imageType,
              keepVersions,
              replicate: input.replicate ?? true,
            })
            .returning();
          return row!;
        });
        publish('CREATED', image);
        return image;
      } catch (err) {
        store.rethrowUniqueName(err, name);
      }
    },

    async updateImage(input: UpdateImageInput): Promise<ImageRow> {
      const name = input.name == null ? undefined : checkImageName(input.name);
      const description = input.description == null ? undefined : checkDescription(input.description);
      const keepVersions = checkKeepVersions(input.keepVersions);
      try {
        const image = await changeImage(input.id, async (tx) => {
          if (name !== undefined && (await store.imageNameTaken(tx, name, input.id))) {
            throw new DuplicateImageNameError(name);
          }
          const set = {
            name,
            description,
            osType: input.osType ?? undefined,
            imageType: input.imageType ?? undefined,
            enabled: input.enabled ?? undefined,
            replicate: input.replicate ?? undefined,
            keepVersions: input.keepVersions == null ? undefined : keepVersions,
            updatedAt: now(),
          };
          await tx.update(images).set(set).where(eq(images.id, input.id));
        });
        // A lower limit applies at once, as after a capture.
        if (input.keepVersions != null) await pruneVersions(image.id);
        return image;
      } catch (err) {
        store.rethrowUniqueName(err, name ?? '');
      }
    },

    /** Refused when protected or while an active task or open multicast session uses the image. */
    async deleteImage(id: string): Promise<ImageRow> {
      const { image, digests } = await db.transaction(async (tx) => {
        const locked = await mustLock(tx, id);
        if (locked.protected) throw new ImageProtectedError(id);
        await assertUnused(tx, id);
        const versions = await tx
          .select({ manifestHash: imageVersions.manifestHash, number: imageVersions.number })
          .from(imageVersions)
          .where(eq(imageVersions.imageId, id));
        await tx.delete(images).where(eq(images.id, id));
        await recordDeletedVersions(
          tx,
          versions.map((v) => ({ ...v, imageName: locked.name })),
          now(),
        );
        await hooks.imageDeleting?.(tx, locked);
        return { image: locked, digests: versions.map((v) => v.manifestHash) };
      });
      publish('DELETED', image);
      await versionsDeleted(digests);
      return image;
    },

    /**
     * Deletes one version (its chunks go with the next garbage collection, unless other versions
     * share them). Refused for the current version (make another one current first), on a
     * protected image, and while an active task or open multicast session is pinned to it.
     */
    async deleteImageVersion(versionId: string): Promise<{ image: ImageRow; version: ImageVersionRow }> {
      const found = await store.selectVersion(db, versionId);
      if (!found) throw new ImageVersionNotFoundError(versionId);
      const result = await db.transaction(async (tx) => {
        const locked = await mustLock(tx, found.imageId);
        const version = await store.selectVersion(tx, versionId);
        if (!version) throw new ImageVersionNotFoundError(versionId);
        if (locked.protected) throw new ImageProtectedError(locked.id);
        if (version.current) throw new ImageVersionCurrentError(versionId);
        await assertUnused(tx, locked.id, versionId);
        await tx.delete(imageVersions).where(eq(imageVersions.id, versionId));
        const deleted = {
          manifestHash: version.manifestHash,
          imageName: locked.name,
          number: version.number,
        };
        await recordDeletedVersions(tx, [deleted], now());
        await tx.update(images).set({ updatedAt: now() }).where(eq(images.id, locked.id));
        return { image: (await store.selectImage(tx, locked.id))!, version };
      });
      publish('UPDATED', result.image);
      await versionsDeleted([result.version.manifestHash]);
      return result;
    },

    setImageProtected(id: string, value: boolean): Promise<ImageRow> {
      return changeImage(id, async (tx) => {
        await tx.update(images).set({ protected: value, updatedAt: now() }).where(eq(images.id, id));
      });
    },

    /** Makes an older (or newer) version the one deploys use. */
    async setCurrentImageVersion(versionId: string): Promise<{ image: ImageRow; version: ImageVersionRow }> {
      const version = await store.selectVersion(db, versionId);
      if (!version) throw new ImageVersionNotFoundError(versionId);
      const image = await changeImage(version.imageId, async (tx) => {
        // Clear first: the partial unique index allows one current row per image at every moment.
        await tx
          .update(imageVersions)
          .set({ current: false })
          .where(eq(imageVersions.imageId, version.imageId));
        await tx.update(imageVersions).set({ current: true }).where(eq(imageVersions.id, versionId));
      });
      publish('CURRENT_VERSION_CHANGED', image);
      await hooks.currentVersionChanged?.(image, version);
      return { image, version: { ...version, current: true } };
    },

    getImage: (id: string) => store.selectImage(db, id),
    findImageByName: (name: string) => store.selectImageByName(db, name),
    getImages: (ids: readonly string[]) => store.selectImagesByIds(db, ids),
    countImages: () => store.countImages(db),
    listImages: (window: { offset: number; limit: number }) => store.pageImages(db, window),
    listVersions: (imageId: string) => store.selectVersions(db, imageId),
    /** Several images' versions in one query (newest first within each), without manifests. */
    listVersionsOf: (imageIds: readonly string[]) => store.selectVersionsOf(db, imageIds),
    /** Versions by id without their manifests (the API's view). */
    getVersionSummaries: (ids: readonly string[]) => store.selectVersionSummaries(db, ids),
    getVersion: (id: string) => store.selectVersion(db, id),
    getCurrentVersion: (imageId: string) => store.selectCurrentVersion(db, imageId),
  };
}

export type ImagesService = ReturnType<typeof createImagesService>;
