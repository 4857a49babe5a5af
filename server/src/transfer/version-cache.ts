/**
 * The manifest of a deploy task's pinned version, canonicalised and checked against the digest
 * recorded at capture, with the set of chunk hashes a token for it may fetch. A few recent
 * versions are kept (a lab deploys one image to many hosts at once).
 */
import { VersionManifestMismatchError, versionManifest } from '../images/version-manifest.ts';
import { type Manifest, referencedHashes, serializeManifest } from '../imaging/index.ts';
import type { TaskRow } from '../tasks/tasks-table.ts';
import type { TransferCore } from './transfer-core.ts';
import { TransferError } from './transfer-errors.ts';

export interface DeployVersion {
  readonly id: string;
  readonly number: number;
  readonly digest: string;
  readonly blockCount: number;
  readonly sizeBytes: number;
  readonly text: string;
  readonly hashes: ReadonlySet<string>;
}

const KEEP = 8;
const cache = new Map<string, Promise<DeployVersion>>();

async function load(core: TransferCore, versionId: string): Promise<DeployVersion> {
  const row = await core.deps.images.getVersion(versionId);
  if (!row || row.manifest == null)
    throw new TransferError('NOT_FOUND', 'the image version of this task is gone');
  let read: { manifest: Manifest; digest: string };
  try {
    read = versionManifest(row);
  } catch (err) {
    if (!(err instanceof VersionManifestMismatchError)) throw err;
    core.deps.log.error(
      { versionId, digest: err.digest, recorded: row.manifestHash },
      'manifest digest mismatch',
    );
    throw new TransferError('INTERNAL', 'the stored manifest does not match its digest');
  }
  const { manifest, digest } = read;
  const text = serializeManifest(manifest);
  return {
    id: row.id,
    number: row.number,
    digest,
    blockCount: manifest.blocks.length,
    sizeBytes: manifest.disk.size,
    text,
    hashes: referencedHashes(manifest),
  };
}

export async function versionOf(core: TransferCore, task: TaskRow): Promise<DeployVersion> {
  const id = task.imageVersionId;
  if (!id) throw new TransferError('NOT_FOUND', 'this deploy task has no image version');
  let entry = cache.get(id);
  if (!entry) {
    entry = load(core, id);
    cache.set(id, entry);
    entry.catch(() => cache.delete(id));
    while (cache.size > KEEP) cache.delete(cache.keys().next().value as string);
  }
  return entry;
}
