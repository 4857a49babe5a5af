import { builder } from '../graphql/builder.ts';
import { resolveCountedConnection } from '../graphql/connections.ts';
import { encodeGlobalID } from '../graphql/global-id.ts';
import { decodeUuidOf } from '../hosts/inventory-ids.ts';
import {
  DuplicateImageNameError,
  ImageInUseError,
  ImageNotFoundError,
  ImageProtectedError,
  ImageVersionCurrentError,
  ImageVersionNotFoundError,
  InvalidImageNameError,
} from './image-errors.ts';
import {
  ImageEventRef,
  ImageRef,
  ImageTypeEnum,
  ImageVersionRef,
  OsTypeEnum,
} from './images-graphql-types.ts';
import type { ImageRow, ImageVersionRow } from './images-table.ts';

export function imageIdOf(globalId: string | number | bigint): string {
  const id = decodeUuidOf(globalId, 'Image');
  if (!id) throw new ImageNotFoundError(String(globalId).slice(0, 100));
  return id;
}

const ImagePayload = (name: string) =>
  builder.objectRef<{ image: ImageRow }>(name).implement({
    authScopes: { viewer: true },
    fields: (t) => ({ image: t.expose('image', { type: ImageRef }) }),
  });

const CreateImageInput = builder.inputType('CreateImageInput', {
  fields: (t) => ({
    name: t.string(),
    description: t.string({ required: false }),
    osType: t.field({ type: OsTypeEnum }),
    imageType: t.field({ type: ImageTypeEnum }),
    replicate: t.boolean({
      required: false,
      description: 'Push the current version to the REPLICA storage nodes (default true, as in FOG).',
    }),
    keepVersions: t.int({
      required: false,
      description:
        'Versions kept after each capture: the newest ones and the current one (older ones are deleted, their chunks freed by the next store collection). 0 keeps every version.',
    }),
  }),
});

const UpdateImageInput = builder.inputType('UpdateImageInput', {
  fields: (t) => ({
    id: t.id(),
    name: t.string({ required: false }),
    description: t.string({ required: false }),
    osType: t.field({ type: OsTypeEnum, required: false }),
    imageType: t.field({ type: ImageTypeEnum, required: false }),
    enabled: t.boolean({ required: false }),
    replicate: t.boolean({
      required: false,
      description: 'Push the current version to the REPLICA storage nodes.',
    }),
    keepVersions: t.int({
      required: false,
      description:
        'Versions kept after each capture: the newest ones and the current one (older ones are deleted, their chunks freed by the next store collection). 0 keeps every version.',
    }),
  }),
});

const DeleteImageInput = builder.inputType('DeleteImageInput', { fields: (t) => ({ id: t.id() }) });
const SetImageProtectedInput = builder.inputType('SetImageProtectedInput', {
  fields: (t) => ({ id: t.id(), protected: t.boolean() }),
});
const SetCurrentImageVersionInput = builder.inputType('SetCurrentImageVersionInput', {
  fields: (t) => ({ versionId: t.id() }),
});

builder.mutationField('createImage', (t) =>
  t.field({
    type: ImagePayload('CreateImageSuccess'),
    authScopes: { operator: true },
    errors: { types: [InvalidImageNameError, DuplicateImageNameError] },
    args: { input: t.arg({ type: CreateImageInput }) },
    resolve: async (_r, { input }, ctx) => ({ image: await ctx.services.images.createImage(input) }),
  }),
);

builder.mutationField('updateImage', (t) =>
  t.field({
    type: ImagePayload('UpdateImageSuccess'),
    authScopes: { operator: true },
    errors: { types: [ImageNotFoundError, InvalidImageNameError, DuplicateImageNameError] },
    args: { input: t.arg({ type: UpdateImageInput }) },
    resolve: async (_r, { input }, ctx) => ({
      image: await ctx.services.images.updateImage({ ...input, id: imageIdOf(input.id) }),
    }),
  }),
);

builder.mutationField('deleteImage', (t) =>
  t.field({
    type: ImagePayload('DeleteImageSuccess'),
    authScopes: { operator: true },
    errors: { types: [ImageNotFoundError, ImageProtectedError, ImageInUseError] },
    args: { input: t.arg({ type: DeleteImageInput }) },
    resolve: async (_r, { input }, ctx) => ({
      image: await ctx.services.images.deleteImage(imageIdOf(input.id)),
    }),
  }),
);

builder.mutationField('setImageProtected', (t) =>
  t.field({
    type: ImagePayload('SetImageProtectedSuccess'),
    authScopes: { operator: true },
    errors: { types: [ImageNotFoundError] },
    args: { input: t.arg({ type: SetImageProtectedInput }) },
    resolve: async (_r, { input }, ctx) => ({
      image: await ctx.services.images.setImageProtected(imageIdOf(input.id), input.protected),
    }),
  }),
);

const SetCurrentImageVersionSuccess = builder
  .objectRef<{ image: ImageRow; version: ImageVersionRow }>('SetCurrentImageVersionSuccess')
  .implement({
    authScopes: { viewer: true },
    fields: (t) => ({
      image: t.expose('image', { type: ImageRef }),
      version: t.expose('version', { type: ImageVersionRef }),
    }),
  });

builder.mutationField('setCurrentImageVersion', (t) =>
  t.field({
    type: SetCurrentImageVersionSuccess,
    authScopes: { operator: true },
    errors: { types: [ImageVersionNotFoundError] },
    args: { input: t.arg({ type: SetCurrentImageVersionInput }) },
    resolve: (_r, { input }, ctx) => {
      const id = decodeUuidOf(input.versionId, 'ImageVersion');
      if (!id) throw new ImageVersionNotFoundError(String(input.versionId).slice(0, 100));
      return ctx.services.images.setCurrentImageVersion(id);
    },
  }),
);

builder.queryField('images', (t) =>
  t.connection(
    {
      type: ImageRef,
      authScopes: { viewer: true },
      resolve: (_r, args, ctx) =>
        resolveCountedConnection(args, {
          count: () => ctx.services.images.countImages(),
          list: (w) => ctx.services.images.listImages(w),
        }),
    },
    { name: 'ImageConnection', fields: (t) => ({ totalCount: t.int({ resolve: (c) => c.totalCount }) }) },
  ),
);

builder.queryField('image', (t) =>
  t.field({
    type: ImageRef,
    nullable: true,
    authScopes: { viewer: true },
    args: { id: t.arg.id() },
    resolve: (_r, args, ctx) => {
      const id = decodeUuidOf(args.id, 'Image');
      return id ? ctx.services.images.getImage(id) : null;
    },
  }),
);

builder.subscriptionField('imageEvents', (t) =>
  t.field({
    type: ImageEventRef,
    authScopes: { viewer: true },
    subscribe: (_r, _a, ctx) => ctx.services.pubsub.subscribe('imageEvents'),
    resolve: (event) => event,
  }),
);

const DeleteImageVersionInput = builder.inputType('DeleteImageVersionInput', {
  fields: (t) => ({ versionId: t.id() }),
});

const DeleteImageVersionSuccess = builder
  .objectRef<{ image: ImageRow; version: ImageVersionRow }>('DeleteImageVersionSuccess')
  .implement({
    authScopes: { viewer: true },
    fields: (t) => ({
      image: t.expose('image', { type: ImageRef }),
      deletedVersionId: t.id({ resolve: (p) => encodeGlobalID('ImageVersion', p.version.id) }),
      deletedVersionNumber: t.int({ resolve: (p) => p.version.number }),
    }),
  });

builder.mutationField('deleteImageVersion', (t) =>
  t.field({
    type: DeleteImageVersionSuccess,
    description:
      'Deletes one version of an image; the chunks no other version uses are freed by the next store garbage collection (one runs by itself a minute later).',
    authScopes: { operator: true },
    errors: {
      types: [ImageVersionNotFoundError, ImageVersionCurrentError, ImageProtectedError, ImageInUseError],
    },
    args: { input: t.arg({ type: DeleteImageVersionInput }) },
    resolve: (_r, { input }, ctx) => {
      const id = decodeUuidOf(input.versionId, 'ImageVersion');
      if (!id) throw new ImageVersionNotFoundError(String(input.versionId).slice(0, 100));
      return ctx.services.images.deleteImageVersion(id);
    },
  }),
);
