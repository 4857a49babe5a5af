/**
 * Importing what the image store holds and the database does not know: every image version whose
 * manifest file sits in the store (`images/<name>/versions/<n>/manifest.json`) with no version of
 * the same manifest in the database. That is a local capture made with `brume image capture
 * --store` into the server's store, or a store directory carried over to a new server, or kept
 * after its database was lost: the manifest beside the chunks makes the directory complete.
 *
 * Each version is checked before anything is written: its manifest parses and names the image
 * directory it is in, and every chunk it references is in the store (a deploy verifies each chunk
 * again as it reads it). Versions that pass are registered image by image, in the store's order
 * (`images.registerStoreVersions`: an image is created when none has the name; an existing image
 * keeps its current version); the others are reported with the reason. Importing twice imports
 * nothing the second time. Refused while a capture is at work: a capture's manifest file is
 * written just before its version row, and must not be imported in between.
 *
 * A version deleted here is never registered again: its manifest file goes after its row (and
 * stays when that removal fails), so the import checks the record of deleted versions, read in one
 * statement with the registered ones (a deletion that commits while the import runs is in one or
 * the other).
 */

import type { ServiceDeps } from '../app/service-deps.ts';
import { InputValidationError } from '../graphql/input-validation-error.ts';
import { type KnownManifests, knownManifests } from '../images/deleted-versions.ts';
import { DuplicateImageNameError, ImageIsReplicaError } from '../images/image-errors.ts';
import type { ImageType, OsType } from '../images/image-kinds.ts';
import { isValidImageName } from '../images/image-name.ts';
import type { ImageVersionSummary } from '../images/image-store.ts';
import type { ImageRow, ImageVersionRow } from '../images/images-table.ts';
import type { RegisteredStoreVersions, RegisterStoreVersionsInput } from '../images/store-versions.ts';
import {
  boundedRun,
  type LocalImageStore,
  type Manifest,
  manifestDigest,
  openLocalStore,
  referencedHashes,
} from '../imaging/index.ts';
import { StoreBusyError } from './storage-errors.ts';
import { activeCaptures } from './store-gc.ts';

export const STORE_IMPORT_SKIP_REASONS = [
  /** The manifest file does not parse, or names another image than its directory. */
  'INVALID_MANIFEST',
  /** Chunks the manifest references are not in the store. */
  'MISSING_CHUNKS',
  /** The image of that name here is a replica of another server's: its versions come from there. */
  'IMAGE_IS_REPLICA',
  /** Another request created an image of that name while the import ran. */
  'NAME_CONFLICT',
  /** A name asked for has no version in the store. */
  'NOT_IN_STORE',
  /** The version was deleted here; its manifest file is a leftover the next collection removes. */
  'DELETED_VERSION',
] as const;
export type StoreImportSkipReason = (typeof STORE_IMPORT_SKIP_REASONS)[number];

export interface StoreImportInput {
  /** Only these images (default: every image in the store). */
  readonly names?: readonly string[] | null;
  /** Check and report, register nothing. */
  readonly dryRun?: boolean | null;
  /** For images the import creates. */
  readonly osType?: OsType | null;
  readonly imageType?: ImageType | null;
  readonly createdById?: string | null;
}

export interface ImportedStoreVersion {
  readonly imageName: string;
  readonly storeVersion: number;
  readonly blockCount: number;
  readonly storedBytes: number;
  /** Null in a dry run. */
  readonly image: ImageRow | null;
  readonly version: ImageVersionRow | null;
  readonly createdImage: boolean;
}

export interface SkippedStoreVersion {
  readonly imageName: string;
  /** Null when the name has no version in the store. */
  readonly storeVersion: number | null;
  readonly reason: StoreImportSkipReason;
  readonly detail: string;
  readonly missingChunks: number;
}

export interface StoreImportResult {
  readonly dryRun: boolean;
  readonly imported: readonly ImportedStoreVersion[];
  readonly skipped: readonly SkippedStoreVersion[];
  /** Store versions whose manifest a version in the database already has. */
  readonly alreadyRegistered: number;
}

/** A store version that passed every check. */
interface Candidate {
  readonly storeVersion: number;
  readonly manifest: Manifest;
  readonly digest: string;
  readonly storeCurrent: boolean;
}

export interface StoreImportDeps {
  readonly images: {
    registerStoreVersions(input: RegisterStoreVersionsInput): Promise<RegisteredStoreVersions>;
    getCurrentVersion(imageId: string): Promise<ImageVersionSummary | undefined>;
    findImageByName(name: string): Promise<ImageRow | undefined>;
  };
  /** Points the store's `current` at the version with this manifest (store-current.ts). */
  readonly followCurrent: (imageName: string, digest: string) => Promise<void>;
}

function checkNames(names: readonly string[]): string[] {
  const bad = names.findIndex((n) => !isValidImageName(n));
  if (bad >= 0) {
    throw new InputValidationError([
      { path: ['input', 'names', String(bad)], message: 'not an image name ([A-Za-z0-9._-], 1-64)' },
    ]);
  }
  return [...new Set(names)];
}

function failureOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createStoreImport(deps: ServiceDeps, { images, followCurrent }: StoreImportDeps) {
  const { db, config } = deps;
  let running: Promise<unknown> = Promise.resolve();

  /** The references of `manifest` absent from the store (looked up once per capture of them). */
  async function missingChunks(store: LocalImageStore, manifest: Manifest, known: Map<string, boolean>) {
    const refs = [...referencedHashes(manifest)];
    const unknown = refs.filter((h) => !known.has(h));
    await boundedRun(unknown.length, 8, async (i) => {
      const hash = unknown[i] as string;
      known.set(hash, await store.chunks.has(hash));
    });
    return refs.filter((h) => known.get(h) === false).length;
  }

  /** The versions of image `name` worth importing; the rest go to `skipped` or `registered`. */
  async function candidatesOf(
    store: LocalImageStore,
    name: string,
    { registered, deleted }: KnownManifests,
    report: { skipped: SkippedStoreVersion[]; alreadyRegistered: number },
  ): Promise<Candidate[]> {
    const versions = await store.manifests.listVersions(name);
    const current = await store.manifests.currentVersion(name).catch(() => versions.at(-1));
    const known = new Map<string, boolean>();
    const found: Candidate[] = [];
    for (const storeVersion of versions) {
      const skip = (reason: StoreImportSkipReason, detail: string, missing = 0) =>
        report.skipped.push({ imageName: name, storeVersion, reason, detail, missingChunks: missing });
      let manifest: Manifest;
      try {
        manifest = await store.manifests.read(name, storeVersion);
      } catch (error) {
        skip('INVALID_MANIFEST', failureOf(error));
        continue;
      }
      if (manifest.name !== name) {
        skip('INVALID_MANIFEST', `the manifest names image ${manifest.name}, its directory ${name}`);
        continue;
      }
      const digest = manifestDigest(manifest);
      if (registered.has(digest)) {
        report.alreadyRegistered++;
        continue;
      }
      const deletedAt = deleted.get(digest);
      if (deletedAt !== undefined) {
        skip(
          'DELETED_VERSION',
          `deleted here at ${deletedAt.toISOString()}; its manifest file is a leftover`,
        );
        continue;
      }
      const missing = await missingChunks(store, manifest, known);
      if (missing > 0) {
        skip('MISSING_CHUNKS', `${missing} chunks it references are not in the store`, missing);
        continue;
      }
      // The same manifest twice in the store (a copy under another number): imported once.
      registered.add(digest);
      found.push({ storeVersion, manifest, digest, storeCurrent: storeVersion === current });
    }
    return found;
  }

  async function register(name: string, candidates: readonly Candidate[], input: StoreImportInput) {
    return images.registerStoreVersions({
      name,
      osType: input.osType ?? 'OTHER',
      imageType: input.imageType ?? 'MULTIPLE_PARTITION_SINGLE_DISK',
      description: 'imported from the image store',
      createdById: input.createdById ?? null,
      versions: candidates.map((c) => ({
        manifest: c.manifest,
        manifestHash: c.digest,
        sizeBytes: c.manifest.disk.size,
        storedBytes: c.manifest.totals.storedBytes,
        blockCount: c.manifest.blocks.length,
        storeCurrent: c.storeCurrent,
      })),
    });
  }

  /**
   * One image's candidates registered (on a dry run, checked against the image of that name); a
   * replica's image or a name taken meanwhile skips them all.
   */
  async function importImage(
    name: string,
    candidates: readonly Candidate[],
    input: StoreImportInput,
    skipped: SkippedStoreVersion[],
  ): Promise<ImportedStoreVersion[]> {
    const entry = (c: Candidate, made: Pick<ImportedStoreVersion, 'image' | 'version' | 'createdImage'>) => ({
      imageName: name,
      storeVersion: c.storeVersion,
      blockCount: c.manifest.blocks.length,
      storedBytes: c.manifest.totals.storedBytes,
      ...made,
    });
    try {
      if (input.dryRun === true) {
        const existing = await images.findImageByName(name);
        if (existing?.replicaOf) throw new ImageIsReplicaError(existing.id, existing.replicaOf);
        return candidates.map((c) => entry(c, { image: null, version: null, createdImage: !existing }));
      }
      const r = await register(name, candidates, input);
      // A local capture made itself current in the store; the image's current version stays
      // what it was, and the store's pointer is put back in step with it.
      const current = await images.getCurrentVersion(r.image.id);
      if (current) await followCurrent(name, current.manifestHash);
      return candidates.map((c, i) =>
        entry(c, { image: r.image, version: r.versions[i] ?? null, createdImage: r.createdImage }),
      );
    } catch (error) {
      const reason: StoreImportSkipReason | null =
        error instanceof ImageIsReplicaError
          ? 'IMAGE_IS_REPLICA'
          : error instanceof DuplicateImageNameError
            ? 'NAME_CONFLICT'
            : null;
      if (reason === null) throw error;
      const detail = failureOf(error);
      for (const c of candidates)
        skipped.push({ imageName: name, storeVersion: c.storeVersion, reason, detail, missingChunks: 0 });
      return [];
    }
  }

  async function importAll(input: StoreImportInput): Promise<StoreImportResult> {
    const asked = input.names == null ? null : checkNames(input.names);
    const busy = await activeCaptures(db);
    if (busy > 0) throw new StoreBusyError(busy, 'import the store');
    const store = openLocalStore(config.core.imagesDir);
    const inStore = await store.manifests.listImages();
    const report = { skipped: [] as SkippedStoreVersion[], alreadyRegistered: 0 };
    const imported: ImportedStoreVersion[] = [];
    const known = await knownManifests(db);
    for (const name of asked ?? inStore) {
      if (!inStore.includes(name)) {
        const detail = 'no published version of this image in the store';
        report.skipped.push({
          imageName: name,
          storeVersion: null,
          reason: 'NOT_IN_STORE',
          detail,
          missingChunks: 0,
        });
        continue;
      }
      const candidates = await candidatesOf(store, name, known, report);
      if (candidates.length > 0)
        imported.push(...(await importImage(name, candidates, input, report.skipped)));
    }
    const { skipped, alreadyRegistered } = report;
    return { dryRun: input.dryRun === true, imported, skipped, alreadyRegistered };
  }

  return {
    /** One import at a time: a second waits for the first (which may have registered its versions). */
    importStoreImages(input: StoreImportInput): Promise<StoreImportResult> {
      const run = running.then(
        () => importAll(input),
        () => importAll(input),
      );
      running = run.catch(() => undefined);
      return run;
    },
  };
}

export type StoreImport = ReturnType<typeof createStoreImport>;
