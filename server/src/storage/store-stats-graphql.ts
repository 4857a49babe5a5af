/**
 * `storeStats`: the image store's room and deduplication savings, for the console's dashboard and
 * images pane. OPERATOR and ADMIN (an operator decides whether a capture fits); viewers see images
 * but not the machine's disks.
 */
import { builder } from '../graphql/builder.ts';
import { encodeGlobalID } from '../graphql/global-id.ts';
import { ImageRef } from '../images/images-graphql-types.ts';
import type { ImageStoreStats, StoreStats } from './store-stats.ts';

const ImageStoreStatsRef = builder.objectRef<ImageStoreStats>('ImageStoreStats').implement({
  authScopes: { operator: true },
  description: 'One image in the store; sizes are bytes.',
  fields: (t) => ({
    imageId: t.id({ resolve: (s) => encodeGlobalID('Image', s.imageId) }),
    image: t.field({
      type: ImageRef,
      nullable: true,
      resolve: (s, _a, ctx) => ctx.services.images.getImage(s.imageId),
    }),
    versionCount: t.exposeInt('versionCount'),
    logicalBytes: t.expose('logicalBytes', {
      type: 'ByteCount',
      description: 'Sum of the versions disk sizes.',
    }),
    storedBytes: t.expose('storedBytes', {
      type: 'ByteCount',
      description: 'Compressed bytes its versions would take, each stored alone.',
    }),
    uniqueBytes: t.expose('uniqueBytes', {
      type: 'ByteCount',
      description: 'Compressed bytes of chunks no other image references: what deleting it frees.',
    }),
    dedupSavedBytes: t.expose('dedupSavedBytes', {
      type: 'ByteCount',
      description: 'storedBytes - uniqueBytes: chunks shared between its versions or with other images.',
    }),
  }),
});

const StoreStatsRef = builder.objectRef<StoreStats>('StoreStats').implement({
  authScopes: { operator: true },
  fields: (t) => ({
    usedBytes: t.expose('usedBytes', {
      type: 'ByteCount',
      description: 'Bytes in use on the filesystem holding the store (statfs).',
    }),
    freeBytes: t.expose('freeBytes', {
      type: 'ByteCount',
      description: 'Bytes the server may still write there (statfs, available to it).',
    }),
    totalBytes: t.expose('totalBytes', { type: 'ByteCount', description: 'Size of that filesystem.' }),
    chunkCount: t.exposeInt('chunkCount', {
      description: 'Chunk files in the store, unreferenced ones awaiting collection included.',
    }),
    chunkBytes: t.expose('chunkBytes', { type: 'ByteCount', description: 'Bytes of those chunk files.' }),
    logicalBytes: t.expose('logicalBytes', {
      type: 'ByteCount',
      description: 'Sum of every image version disk size.',
    }),
    dedupSavedBytes: t.expose('dedupSavedBytes', {
      type: 'ByteCount',
      description: 'Compressed bytes the versions would take stored one by one, minus their distinct chunks.',
    }),
    images: t.expose('images', { type: [ImageStoreStatsRef] }),
  }),
});

builder.queryField('storeStats', (t) =>
  t.field({
    type: StoreStatsRef,
    authScopes: { operator: true },
    resolve: (_r, _a, ctx) => ctx.services.storage.storeStats(),
  }),
);
