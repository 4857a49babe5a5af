/** Parsing and serialising manifests; the digest identifies one exact manifest (done-maps use it). */
import { createHash } from 'node:crypto';
import {
  InvalidImageNameError,
  InvalidManifestError,
  UnsupportedManifestVersionError,
} from './manifest-errors.ts';
import { MANIFEST_FORMAT_VERSION, type Manifest, manifestSchema } from './manifest-schema.ts';

const IMAGE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function assertImageName(name: string): void {
  if (!IMAGE_NAME.test(name) || name === '.' || name === '..') throw new InvalidImageNameError(name);
}

export function parseManifest(text: string, where = '(input)'): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidManifestError(where, [`not JSON: ${(error as Error).message}`]);
  }
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof raw === 'object' && raw !== null && version !== MANIFEST_FORMAT_VERSION) {
    throw new UnsupportedManifestVersionError(where, version);
  }
  const result = manifestSchema.safeParse(raw);
  if (!result.success) {
    throw new InvalidManifestError(
      where,
      result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  }
  checkBlockOrder(result.data, where);
  return result.data;
}

/** Invariants zod cannot express: blocks sorted, disjoint and inside their partition. */
function checkBlockOrder(manifest: Manifest, where: string): void {
  const parts = new Map(manifest.partitions.map((p) => [p.number, p]));
  let end = 0;
  for (const [i, block] of manifest.blocks.entries()) {
    const part = parts.get(block.partition);
    const issue =
      block.offset < end
        ? 'overlaps or is out of order'
        : part === undefined
          ? `names unknown partition ${block.partition}`
          : block.offset < part.start || block.offset + block.length > part.start + part.size
            ? 'lies outside its partition'
            : null;
    if (issue) throw new InvalidManifestError(where, [`blocks.${i}: ${issue}`]);
    end = block.offset + block.length;
  }
}

export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest)}\n`;
}

/** sha256 of the canonical serialisation. */
export function manifestDigest(manifest: Manifest): string {
  return createHash('sha256').update(serializeManifest(manifest)).digest('hex');
}

/** Every chunk hash the manifest references (preserved areas and blocks). */
export function referencedHashes(manifest: Manifest): Set<string> {
  return new Set([...manifest.preserved.map((p) => p.hash), ...manifest.blocks.map((b) => b.hash)]);
}

/** The smallest target that holds every block and preserved range. */
export function requiredTargetSize(manifest: Manifest): number {
  const ends = [...manifest.blocks, ...manifest.preserved].map((r) => r.offset + r.length);
  return ends.reduce((a, b) => Math.max(a, b), 0);
}
