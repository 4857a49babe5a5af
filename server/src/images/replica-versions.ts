/**
 * The replica side of replication (PROTOCOL.md "Replication"): a version pushed by a source
 * server lands here whole, with the source's uuid and number, in an image marked as the source's.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { Executor } from '../db/database.ts';
import { ImageNotReplicaError, ReplicaVersionConflictError } from './image-errors.ts';
import type { ImageType, OsType } from './image-kinds.ts';
import * as store from './image-store.ts';
import { type ImageRow, type ImageVersionRow, images, imageVersions } from './images-table.ts';

export interface ReplicaVersionInput {
  /** The source server's node name. */
  readonly source: string;
  readonly image: {
    readonly name: string;
    readonly description: string;
    readonly osType: OsType;
    readonly imageType: ImageType;
    readonly keepVersions: number | null;
  };
  readonly versionId: string;
  readonly number: number;
  readonly current: boolean;
  readonly sizeBytes: number;
  readonly storedBytes: number;
  readonly blockCount: number;
  readonly manifestHash: string;
  readonly manifest: unknown;
}

export interface AdoptedVersion {
  readonly image: ImageRow;
  readonly version: ImageVersionRow;
  /** False when the version was already here (the push is idempotent). */
  readonly created: boolean;
}

export function createReplicaVersions(
  { db, now, pubsub }: ServiceDeps,
  hooks: { prune: (imageId: string) => Promise<void> },
) {
  /** The image of that name, created for the source if absent; refused if it is not the source's. */
  async function imageFor(tx: Executor, input: ReplicaVersionInput): Promise<ImageRow> {
    const [found] = await tx
      .select()
      .from(images)
      .where(sql`lower(${images.name}) = lower(${input.image.name})`)
      .for('update');
    const fields = { ...input.image, updatedAt: now() };
    if (!found) {
      const [row] = await tx
        .insert(images)
        .values({ ...fields, replicaOf: input.source })
        .returning();
      return row!;
    }
    if (found.replicaOf !== input.source) throw new ImageNotReplicaError(found.name, input.source);
    const [row] = await tx.update(images).set(fields).where(eq(images.id, found.id)).returning();
    return row!;
  }

  async function makeCurrent(tx: Executor, imageId: string, versionId: string) {
    // Clear first: the partial unique index allows one current row per image at every moment.
    await tx.update(imageVersions).set({ current: false }).where(eq(imageVersions.imageId, imageId));
    await tx.update(imageVersions).set({ current: true }).where(eq(imageVersions.id, versionId));
  }

  return {
    /** One transaction: the image (created or updated), the version row, the current flag. */
    async adoptReplicaVersion(input: ReplicaVersionInput): Promise<AdoptedVersion> {
      const result = await db.transaction(async (tx) => {
        const image = await imageFor(tx, input);
        const existing = await store.selectVersion(tx, input.versionId);
        if (existing) {
          if (existing.imageId !== image.id || existing.manifestHash !== input.manifestHash) {
            throw new ReplicaVersionConflictError(input.versionId);
          }
          if (input.current && !existing.current) await makeCurrent(tx, image.id, existing.id);
          return {
            image,
            version: { ...existing, current: existing.current || input.current },
            created: false,
          };
        }
        const [clash] = await tx
          .select({ id: imageVersions.id })
          .from(imageVersions)
          .where(and(eq(imageVersions.imageId, image.id), eq(imageVersions.number, input.number)));
        const number = clash ? await store.nextVersionNumber(tx, image.id) : input.number;
        if (input.current) {
          await tx.update(imageVersions).set({ current: false }).where(eq(imageVersions.imageId, image.id));
        }
        const [version] = await tx
          .insert(imageVersions)
          .values({
            id: input.versionId,
            imageId: image.id,
            number,
            sizeBytes: input.sizeBytes,
            storedBytes: input.storedBytes,
            blockCount: input.blockCount,
            manifestHash: input.manifestHash,
            manifest: input.manifest,
            createdAt: now(),
            current: input.current,
          })
          .returning();
        return { image, version: version!, created: true };
      });
      pubsub.publish('imageEvents', { kind: 'VERSION_PUBLISHED', image: result.image });
      if (result.created) await hooks.prune(result.image.id);
      return result;
    },
  };
}
