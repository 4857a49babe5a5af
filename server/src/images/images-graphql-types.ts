import { builder } from '../graphql/builder.ts';
import type { Context } from '../graphql/context.ts';
import { defineErrorType } from '../graphql/errors.ts';
import { encodeGlobalID } from '../graphql/global-id.ts';
import { orderByIds } from '../graphql/load-by-ids.ts';
import { groupByKeys, requestLoader } from '../graphql/request-loader.ts';
import {
  DuplicateImageNameError,
  ImageDisabledError,
  ImageHasNoVersionError,
  ImageInUseError,
  ImageIsReplicaError,
  ImageNotFoundError,
  ImageProtectedError,
  ImageVersionCurrentError,
  ImageVersionNotFoundError,
  InvalidImageNameError,
} from './image-errors.ts';
import { IMAGE_EVENT_KINDS, type ImageEvent } from './image-events.ts';
import { FOG_IMAGE_TYPES, FOG_OS_IDS, IMAGE_TYPES, OS_TYPES } from './image-kinds.ts';
import type { ImageVersionSummary } from './image-store.ts';
import type { ImageRow } from './images-table.ts';

export const OsTypeEnum = builder.enumType('OsType', { values: OS_TYPES });
export const ImageTypeEnum = builder.enumType('ImageType', { values: IMAGE_TYPES });
const ImageEventKindEnum = builder.enumType('ImageEventKind', { values: IMAGE_EVENT_KINDS });

export const ImageRef = builder.objectRef<ImageRow>('Image');

/** A version as the API shows it, loaded with the others asked for in the same response. */
export function loadVersion(ctx: Context, id: string): Promise<ImageVersionSummary | null> {
  return requestLoader(ctx, 'imageVersion', async (ids) =>
    orderByIds(ids, await ctx.services.images.getVersionSummaries(ids), (v) => v.id),
  ).load(id);
}
export const ImageVersionRef = builder.objectRef<ImageVersionSummary>('ImageVersion');

builder.node(ImageRef, {
  authScopes: { viewer: true },
  id: { resolve: (i) => i.id },
  loadMany: async (ids, ctx) => orderByIds(ids, await ctx.services.images.getImages(ids), (i) => i.id),
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    osType: t.expose('osType', { type: OsTypeEnum }),
    fogOsId: t.int({ description: "FOG's os id.", resolve: (i) => FOG_OS_IDS[i.osType] }),
    imageType: t.expose('imageType', { type: ImageTypeEnum }),
    fogImageTypeCode: t.string({
      description: "FOG's image type code (n, mps, mpa, dd).",
      resolve: (i) => FOG_IMAGE_TYPES[i.imageType].code,
    }),
    protected: t.exposeBoolean('protected', { description: 'No capture over it, no deletion.' }),
    enabled: t.exposeBoolean('enabled'),
    replicate: t.exposeBoolean('replicate', {
      description: "FOG's flag: the current version is pushed to the REPLICA storage nodes.",
    }),
    replicaOf: t.exposeString('replicaOf', {
      nullable: true,
      description:
        'On a replica server: the source server this image was received from (its versions come from there only; captures are refused).',
    }),
    keepVersions: t.exposeInt('keepVersions', {
      nullable: true,
      description: 'Versions kept after each capture (the newest ones and the current one); null keeps all.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    versions: t.field({
      type: [ImageVersionRef],
      description: 'Newest first.',
      resolve: (i, _a, ctx) =>
        requestLoader(ctx, 'imageVersionsOf', async (imageIds) =>
          groupByKeys(imageIds, await ctx.services.images.listVersionsOf(imageIds), (v) => v.imageId),
        ).load(i.id),
    }),
    currentVersion: t.field({
      type: ImageVersionRef,
      nullable: true,
      description: 'The version deploys use; null until the first capture.',
      resolve: (i, _a, ctx) => ctx.services.images.getCurrentVersion(i.id),
    }),
  }),
});

builder.node(ImageVersionRef, {
  authScopes: { viewer: true },
  id: { resolve: (v) => v.id },
  loadMany: async (ids, ctx) =>
    orderByIds(ids, await ctx.services.images.getVersionSummaries(ids), (v) => v.id),
  fields: (t) => ({
    number: t.exposeInt('number'),
    image: t.field({
      type: ImageRef,
      nullable: true,
      resolve: (v, _a, ctx) => ctx.services.images.getImage(v.imageId),
    }),
    sizeBytes: t.expose('sizeBytes', { type: 'ByteCount', description: 'Bytes of disk the version covers.' }),
    storedBytes: t.expose('storedBytes', {
      type: 'ByteCount',
      description: 'Compressed bytes it references.',
    }),
    blockCount: t.exposeInt('blockCount'),
    manifestHash: t.exposeString('manifestHash'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    current: t.exposeBoolean('current'),
  }),
});

export const ImageEventRef = builder.objectRef<ImageEvent>('ImageEvent').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    kind: t.expose('kind', { type: ImageEventKindEnum }),
    image: t.expose('image', { type: ImageRef }),
  }),
});

const imageGlobalId = (e: { imageId: string }) => encodeGlobalID('Image', e.imageId);

defineErrorType(InvalidImageNameError, 'InvalidImageNameError', (t) => ({
  name: t.exposeString('imageName'),
}));
defineErrorType(DuplicateImageNameError, 'DuplicateImageNameError', (t) => ({
  name: t.exposeString('imageName'),
}));
defineErrorType(ImageNotFoundError, 'ImageNotFoundError');
defineErrorType(ImageVersionNotFoundError, 'ImageVersionNotFoundError');
defineErrorType(ImageVersionCurrentError, 'ImageVersionCurrentError', (t) => ({
  versionId: t.id({ resolve: (e) => encodeGlobalID('ImageVersion', e.id) }),
}));
defineErrorType(ImageIsReplicaError, 'ImageIsReplicaError', (t) => ({
  imageId: t.id({ resolve: imageGlobalId }),
  source: t.exposeString('source', { description: 'The server whose image this is a replica of.' }),
}));
for (const [cls, name] of [
  [ImageProtectedError, 'ImageProtectedError'],
  [ImageInUseError, 'ImageInUseError'],
  [ImageHasNoVersionError, 'ImageHasNoVersionError'],
  [ImageDisabledError, 'ImageDisabledError'],
] as const) {
  defineErrorType<InstanceType<typeof cls>>(cls, name, (t) => ({
    imageId: t.id({ resolve: imageGlobalId }),
  }));
}
