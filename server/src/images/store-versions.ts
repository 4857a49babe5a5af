/**
 * Image versions found in the image store but not in the database, registered (the store import,
 * `storage/store-import.ts`): the image of that name, created when there is none, and its versions
 * in the store's order, in one transaction. Such versions were captured elsewhere (`brume image
 * capture --store`, a store carried over from another server), so nothing here is pruned (the
 * image's keepVersions applies at its next capture) and an image that already has a current
 * version keeps it: an import never changes what a lab deploys.
 */
import { sql } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { Executor } from '../db/database.ts';
import { ImageIsReplicaError } from './image-errors.ts';
import type { ImageType, OsType } from './image-kinds.ts';
import * as store from './image-store.ts';
import { type ImageRow, type ImageVersionRow, images, imageVersions } from './images-table.ts';

export interface StoreVersionInput {
  readonly manifest: unknown;
  /** sha256 hex of the canonical manifest. */
  readonly manifestHash: string;
  readonly sizeBytes: number;
  readonly storedBytes: number;
  readonly blockCount: number;
  /** The store's current version of the image (what it deploys when the image is new here). */
  readonly storeCurrent: boolean;
}

export interface RegisterStoreVersionsInput {
  readonly name: string;
  /** For an image created here. */
  readonly osType: OsType;
  readonly imageType: ImageType;
  readonly description: string;
  readonly createdById: string | null;
  /** Oldest first: they get the image's next numbers in this order. */
  readonly versions: readonly StoreVersionInput[];
}

export interface RegisteredStoreVersions {
  readonly image: ImageRow;
  readonly versions: readonly ImageVersionRow[];
  readonly createdImage: boolean;
}

/** The image of that name under a lock, or a new one; a replica's image is refused. */
async function imageNamed(
  tx: Executor,
  input: RegisterStoreVersionsInput,
): Promise<{ image: ImageRow; created: boolean }> {
  const [found] = await tx
    .select()
    .from(images)
    .where(sql`lower(${images.name}) = lower(${input.name})`)
    .for('update');
  if (found) {
    if (found.replicaOf !== null) throw new ImageIsReplicaError(found.id, found.replicaOf);
    return { image: found, created: false };
  }
  const [row] = await tx
    .insert(images)
    .values({
      name: input.name,
      description: input.description,
      osType: input.osType,
      imageType: input.imageType,
    })
    .returning();
  return { image: row!, created: true };
}

/** Which of the versions becomes current: none when the image has one, else the store's current (or the newest). */
function currentIndex(versions: readonly StoreVersionInput[], imageHasCurrent: boolean): number {
  if (imageHasCurrent) return -1;
  const marked = versions.findIndex((v) => v.storeCurrent);
  return marked >= 0 ? marked : versions.length - 1;
}

export function createStoreVersions({ db, now, pubsub }: ServiceDeps) {
  return {
    async registerStoreVersions(input: RegisterStoreVersionsInput): Promise<RegisteredStoreVersions> {
      let result: RegisteredStoreVersions;
      try {
        result = await db.transaction(async (tx) => {
          const { image, created } = await imageNamed(tx, input);
          const hasCurrent = (await store.selectCurrentVersion(tx, image.id)) !== undefined;
          const current = currentIndex(input.versions, hasCurrent);
          const rows: ImageVersionRow[] = [];
          for (const [i, v] of input.versions.entries()) {
            const [row] = await tx
              .insert(imageVersions)
              .values({
                imageId: image.id,
                number: await store.nextVersionNumber(tx, image.id),
                sizeBytes: v.sizeBytes,
                storedBytes: v.storedBytes,
                blockCount: v.blockCount,
                manifestHash: v.manifestHash,
                manifest: v.manifest,
                createdById: input.createdById,
                createdAt: now(),
                current: i === current,
              })
              .returning();
            rows.push(row!);
          }
          return { image, versions: rows, createdImage: created };
        });
      } catch (err) {
        // Another request created an image of that name meanwhile.
        store.rethrowUniqueName(err, input.name);
      }
      if (result.createdImage) pubsub.publish('imageEvents', { kind: 'CREATED', image: result.image });
      pubsub.publish('imageEvents', { kind: 'VERSION_PUBLISHED', image: result.image });
      return result;
    },
  };
}
