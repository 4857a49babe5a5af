/**
 * `importStoreImages`: an ADMIN registers the image versions the image store holds and the
 * database does not (store-import.ts): a local capture into the server's store, a store carried
 * over to a new server or kept after its database was lost. A dry run reports what would be
 * imported. Refused with StoreBusyError while a capture runs.
 */
import { builder } from '../graphql/builder.ts';
import { ImageRef, ImageTypeEnum, ImageVersionRef, OsTypeEnum } from '../images/images-graphql-types.ts';
import { StoreBusyError } from './storage-errors.ts';
import {
  type ImportedStoreVersion,
  type SkippedStoreVersion,
  STORE_IMPORT_SKIP_REASONS,
  type StoreImportResult,
} from './store-import.ts';

const StoreImportSkipReasonEnum = builder.enumType('StoreImportSkipReason', {
  values: STORE_IMPORT_SKIP_REASONS,
});

const ImportStoreImagesInput = builder.inputType('ImportStoreImagesInput', {
  fields: (t) => ({
    names: t.stringList({
      required: false,
      description: 'Only the images of these names (default: every image in the store).',
    }),
    dryRun: t.boolean({ required: false, description: 'Check and report, register nothing.' }),
    osType: t.field({
      type: OsTypeEnum,
      required: false,
      description: 'For the images the import creates (default OTHER); existing images keep theirs.',
    }),
    imageType: t.field({
      type: ImageTypeEnum,
      required: false,
      description: 'For the images the import creates (default MULTIPLE_PARTITION_SINGLE_DISK).',
    }),
  }),
});

const ImportedStoreVersionRef = builder.objectRef<ImportedStoreVersion>('ImportedStoreVersion').implement({
  authScopes: { admin: true },
  fields: (t) => ({
    imageName: t.exposeString('imageName'),
    storeVersion: t.exposeInt('storeVersion', {
      description: "Its number in the store; the database numbers it after the image's versions.",
    }),
    blockCount: t.exposeInt('blockCount'),
    storedBytes: t.expose('storedBytes', { type: 'ByteCount' }),
    createdImage: t.exposeBoolean('createdImage', { description: 'The import created the image.' }),
    image: t.field({
      type: ImageRef,
      nullable: true,
      description: 'Null on a dry run.',
      resolve: (v) => v.image,
    }),
    version: t.field({
      type: ImageVersionRef,
      nullable: true,
      description: 'The version registered; null on a dry run.',
      resolve: (v) => v.version,
    }),
  }),
});

const SkippedStoreVersionRef = builder.objectRef<SkippedStoreVersion>('SkippedStoreVersion').implement({
  authScopes: { admin: true },
  fields: (t) => ({
    imageName: t.exposeString('imageName'),
    storeVersion: t.exposeInt('storeVersion', {
      nullable: true,
      description: 'Null when the name has no version in the store.',
    }),
    reason: t.field({ type: StoreImportSkipReasonEnum, resolve: (s) => s.reason }),
    detail: t.exposeString('detail'),
    missingChunks: t.exposeInt('missingChunks', { description: 'With MISSING_CHUNKS: how many.' }),
  }),
});

const ImportStoreImagesSuccess = builder.objectRef<StoreImportResult>('ImportStoreImagesSuccess').implement({
  authScopes: { admin: true },
  fields: (t) => ({
    dryRun: t.exposeBoolean('dryRun'),
    imported: t.field({
      type: [ImportedStoreVersionRef],
      description:
        "Versions registered (or, on a dry run, that would be), image by image in the store's order.",
      resolve: (r) => [...r.imported],
    }),
    skipped: t.field({ type: [SkippedStoreVersionRef], resolve: (r) => [...r.skipped] }),
    alreadyRegistered: t.exposeInt('alreadyRegistered', {
      description: 'Versions in the store whose manifest a version in the database already has.',
    }),
  }),
});

builder.mutationField('importStoreImages', (t) =>
  t.field({
    type: ImportStoreImagesSuccess,
    authScopes: { admin: true },
    description:
      'Registers the image versions whose manifest files are in the image store and not in the database (a local `brume image capture --store` into this store, a store moved from another server): each checked first (its manifest parses and names its image, every chunk it references is present; a deploy verifies each chunk as it reads it). An image is created when none has the name; an existing image keeps its current version. Importing again imports nothing.',
    errors: { types: [StoreBusyError] },
    args: { input: t.arg({ type: ImportStoreImagesInput }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.storeImport.importStoreImages({ ...input, createdById: ctx.viewer?.userId ?? null }),
  }),
);
