import { eq } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import { InputValidationError } from '../graphql/input-validation-error.ts';
import { ImageNotFoundError } from './image-errors.ts';
import * as store from './image-store.ts';
import { type ImageVersionRow, imageVersions } from './images-table.ts';

/** What the capture path hands over once every block is stored and verified. */
export interface PublishImageVersionInput {
  readonly imageId: string;
  readonly sizeBytes: number;
  readonly storedBytes: number;
  readonly blockCount: number;
  /** sha256 hex of the canonical manifest. */
  readonly manifestHash: string;
  readonly manifest?: unknown;
  readonly createdById?: string | null;
  /** Default true: a fresh capture becomes what deploys use. */
  readonly makeCurrent?: boolean;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function checkCounters(input: PublishImageVersionInput): void {
  const counts = [input.sizeBytes, input.storedBytes, input.blockCount];
  if (!counts.every((n) => Number.isSafeInteger(n) && n >= 0) || !SHA256_HEX.test(input.manifestHash)) {
    throw new InputValidationError([
      { path: ['version'], message: 'non-negative sizes and a sha256 hex hash' },
    ]);
  }
}

export function createImageVersionPublisher({ db, pubsub, now }: ServiceDeps) {
  return {
    /**
     * Publishes a new version in ONE transaction: number allocation, current-flag swap and insert
     * commit together or not at all, so no reader ever sees a half-published version or an image
     * with two (or, after a crash, zero previously current) versions.
     */
    async publishImageVersion(input: PublishImageVersionInput): Promise<ImageVersionRow> {
      checkCounters(input);
      const makeCurrent = input.makeCurrent ?? true;
      const { image, version } = await db.transaction(async (tx) => {
        // The row lock serializes two captures finishing at once: numbers never collide.
        const locked = await store.lockImage(tx, input.imageId, 'update');
        if (!locked) throw new ImageNotFoundError(input.imageId);
        const number = await store.nextVersionNumber(tx, input.imageId);
        if (makeCurrent) {
          await tx
            .update(imageVersions)
            .set({ current: false })
            .where(eq(imageVersions.imageId, input.imageId));
        }
        const [row] = await tx
          .insert(imageVersions)
          .values({
            imageId: input.imageId,
            number,
            sizeBytes: input.sizeBytes,
            storedBytes: input.storedBytes,
            blockCount: input.blockCount,
            manifestHash: input.manifestHash,
            manifest: input.manifest ?? null,
            createdById: input.createdById ?? null,
            createdAt: now(),
            current: makeCurrent,
          })
          .returning();
        return { image: locked, version: row! };
      });
      pubsub.publish('imageEvents', { kind: 'VERSION_PUBLISHED', image });
      return version;
    },
  };
}
