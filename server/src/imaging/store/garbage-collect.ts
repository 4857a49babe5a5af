/**
 * Mark and sweep: every chunk referenced by any manifest version of any image is kept; the rest is
 * removed unless it is younger than the grace period (a capture may be writing chunks whose
 * manifest is not published yet; `keep()` refreshes the age of chunks a capture reuses).
 */
import { promises as fs } from 'node:fs';
import { referencedHashes } from '../manifest/manifest-codec.ts';
import type { ManifestStore } from '../manifest/manifest-store.ts';
import type { ChunkPruner } from './chunk-store.ts';

export const DEFAULT_GC_GRACE_MS = 6 * 3600_000;

/**
 * A manifest file that does not parse: a collection can not know which chunks it needs, so it
 * removes nothing until the file is repaired or removed.
 */
export class UnreadableManifestError extends Error {
  readonly code = 'UNREADABLE_MANIFEST';
  readonly imageName: string;
  readonly version: number;
  constructor(imageName: string, version: number, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `the manifest of ${imageName} v${version} can not be read (${why}): nothing is collected until ` +
        `images/${imageName}/versions/${version} is repaired or removed`,
    );
    this.imageName = imageName;
    this.version = version;
  }
}

export interface GcStats {
  readonly manifests: number;
  readonly referenced: number;
  readonly kept: number;
  readonly keptYoung: number;
  readonly removed: number;
  readonly removedBytes: number;
  readonly missing: readonly string[];
}

export interface GcOptions {
  readonly chunks: ChunkPruner & { listTemp?(): AsyncIterable<{ path: string; mtimeMs: number }> };
  readonly manifests: ManifestStore;
  readonly graceMs?: number;
  readonly now?: number;
  /** Report only, remove nothing. */
  readonly dryRun?: boolean;
  /**
   * Chunks to keep besides those the manifests reference: a server's database knows every version
   * it published, whatever happened to the manifest files beside the chunks.
   */
  readonly alsoLive?: Iterable<string>;
}

export async function collectGarbage(options: GcOptions): Promise<GcStats> {
  const { chunks, manifests } = options;
  const cutoff = (options.now ?? Date.now()) - (options.graceMs ?? DEFAULT_GC_GRACE_MS);
  const live = new Set<string>(options.alsoLive ?? []);
  let manifestCount = 0;
  for (const name of await manifests.listImages()) {
    for (const version of await manifests.listVersions(name)) {
      const manifest = await manifests.read(name, version).catch((err: unknown) => {
        throw new UnreadableManifestError(name, version, err);
      });
      for (const hash of referencedHashes(manifest)) live.add(hash);
      manifestCount++;
    }
  }
  let kept = 0;
  let keptYoung = 0;
  let removed = 0;
  let removedBytes = 0;
  const seen = new Set<string>();
  for await (const entry of chunks.list()) {
    seen.add(entry.hash);
    if (live.has(entry.hash)) kept++;
    else if (entry.mtimeMs > cutoff) keptYoung++;
    else {
      if (!options.dryRun) await chunks.remove(entry.hash);
      removed++;
      removedBytes += entry.storedSize;
    }
  }
  if (chunks.listTemp && !options.dryRun) {
    for await (const temp of chunks.listTemp())
      if (temp.mtimeMs <= cutoff) await fs.rm(temp.path, { force: true });
  }
  const missing = [...live].filter((h) => !seen.has(h));
  return { manifests: manifestCount, referenced: live.size, kept, keptYoung, removed, removedBytes, missing };
}
