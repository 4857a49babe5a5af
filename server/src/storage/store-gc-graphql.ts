/**
 * `collectStoreGarbage`: an ADMIN gets the space of deleted images and versions back now (a
 * collection also runs by itself a minute after each deletion), or sees with a dry run what would
 * go. Refused with StoreBusyError while a capture runs, and with StoreManifestUnreadableError while
 * a manifest file in the store does not parse (the chunks it needs are unknown).
 */

import { builder } from '../graphql/builder.ts';
import { defineErrorType } from '../graphql/errors.ts';
import type { GcStats } from '../imaging/index.ts';
import { StoreBusyError, StoreManifestUnreadableError } from './storage-errors.ts';

defineErrorType(StoreBusyError, 'StoreBusyError', (t) => ({
  activeCaptures: t.exposeInt('activeCaptures'),
}));

defineErrorType(StoreManifestUnreadableError, 'StoreManifestUnreadableError', (t) => ({
  imageName: t.exposeString('imageName'),
  storeVersion: t.exposeInt('storeVersion', {
    description: 'The version directory in the store (images/<imageName>/versions/<storeVersion>).',
  }),
}));

const CollectStoreGarbageInput = builder.inputType('CollectStoreGarbageInput', {
  fields: (t) => ({
    dryRun: t.boolean({ required: false, description: 'Report what would be removed, remove nothing.' }),
  }),
});

const CollectStoreGarbageSuccess = builder
  .objectRef<GcStats & { dryRun: boolean }>('CollectStoreGarbageSuccess')
  .implement({
    authScopes: { admin: true },
    fields: (t) => ({
      dryRun: t.exposeBoolean('dryRun'),
      manifests: t.exposeInt('manifests', { description: 'Manifest files read in the store.' }),
      referencedChunks: t.exposeInt('referenced', {
        description: 'Distinct chunks the versions (database and manifest files) reference.',
      }),
      keptChunks: t.exposeInt('kept', { description: 'Chunk files kept because a version references them.' }),
      keptRecentChunks: t.exposeInt('keptYoung', {
        description: 'Unreferenced chunk files kept because they are younger than the grace period (6 h).',
      }),
      removedChunks: t.exposeInt('removed', {
        description: 'Chunk files removed (or that a dry run would remove).',
      }),
      removedBytes: t.expose('removedBytes', { type: 'ByteCount' }),
      missingChunks: t.int({
        description: 'Chunks a version references that are not in the store (the server logs them).',
        resolve: (s) => s.missing.length,
      }),
    }),
  });

builder.mutationField('collectStoreGarbage', (t) =>
  t.field({
    type: CollectStoreGarbageSuccess,
    authScopes: { admin: true },
    errors: { types: [StoreBusyError, StoreManifestUnreadableError] },
    args: { input: t.arg({ type: CollectStoreGarbageInput }) },
    resolve: async (_r, { input }, ctx) => {
      const dryRun = input.dryRun === true;
      return { ...(await ctx.services.storage.gc.collect({ dryRun })), dryRun };
    },
  }),
);
