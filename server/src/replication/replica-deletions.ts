/**
 * The record that tells an image's replicas to delete their copy (PROTOCOL.md "Replication", 4),
 * written inside the transaction that deletes the image: the deletion and its record commit
 * together, so no crash between them can leave the copies on the replicas for good.
 */
import type { Executor } from '../db/database.ts';
import type { ImageRow } from '../images/images-table.ts';
import { replicaDeletions } from './replication-table.ts';

export async function recordReplicaDeletion(tx: Executor, image: ImageRow, at: Date): Promise<void> {
  if (!image.replicate) return;
  await tx.insert(replicaDeletions).values({ imageName: image.name, deletedAt: at });
}
