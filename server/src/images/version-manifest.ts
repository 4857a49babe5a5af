/**
 * A version's manifest as the database holds it (jsonb), parsed and checked against the digest
 * recorded at capture. Deploys (transfer/version-cache.ts) and store checks (storage/store-verify.ts)
 * read it this way; each says in its own words what a failure means.
 */
import { type Manifest, manifestDigest, parseManifest } from '../imaging/index.ts';
import type { ImageVersionRow } from './images-table.ts';

export class VersionManifestMissingError extends Error {
  readonly code = 'VERSION_MANIFEST_MISSING';
  constructor() {
    super('the version has no manifest in the database');
  }
}

export class VersionManifestMismatchError extends Error {
  readonly code = 'VERSION_MANIFEST_MISMATCH';
  readonly digest: string;
  constructor(digest: string) {
    super("the database's manifest does not match the digest recorded at capture");
    this.digest = digest;
  }
}

/** Throws the two errors above, or the manifest codec's own when the JSON is not a manifest. */
export function versionManifest(row: Pick<ImageVersionRow, 'manifest' | 'manifestHash' | 'number'>): {
  manifest: Manifest;
  digest: string;
} {
  if (row.manifest == null) throw new VersionManifestMissingError();
  const manifest = parseManifest(JSON.stringify(row.manifest), `version ${row.number}`);
  const digest = manifestDigest(manifest);
  if (digest !== row.manifestHash) throw new VersionManifestMismatchError(digest);
  return { manifest, digest };
}
