/**
 * `verifyImageVersion`: an OPERATOR has every chunk of a version read, decoded and hashed in the
 * store, in the background (one check at a time); `ImageVerification` nodes say how far it got and
 * what it found, and `ImageVersion.lastVerification` the latest of a version.
 */
import { builder } from '../graphql/builder.ts';
import { defineErrorType } from '../graphql/errors.ts';
import { orderByIds } from '../graphql/load-by-ids.ts';
import { requestLoader } from '../graphql/request-loader.ts';
import { decodeUuidOf } from '../hosts/inventory-ids.ts';
import { ImageVersionNotFoundError } from '../images/image-errors.ts';
import { ImageVersionRef, loadVersion } from '../images/images-graphql-types.ts';
import { ImageVerificationNotFoundError } from './storage-errors.ts';
import type { ChunkProblemRecord, ImageVerificationRow, VERIFICATION_STATES } from './storage-table.ts';
import type { VerificationRequest } from './store-verify.ts';

const VerificationStateEnum = builder.enumType('VerificationState', {
  values: {
    QUEUED: { description: 'Waiting for the check before it (one runs at a time).' },
    RUNNING: {},
    PASSED: { description: 'Every chunk is present, decodes and hashes to its name.' },
    DAMAGED: { description: 'Chunks are missing or corrupt (see problems), or the version is unreadable.' },
    ABORTED: { description: 'Stopped before its end (see reason): the server stopped.' },
  } satisfies Record<(typeof VERIFICATION_STATES)[number], object>,
});

const ChunkProblemRef = builder.objectRef<ChunkProblemRecord>('ChunkProblem').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    hash: t.exposeString('hash', { description: 'sha256 of the chunk, its name in the store.' }),
    code: t.exposeString('code', { description: 'CHUNK_NOT_FOUND, CORRUPT_CHUNK, ...' }),
    message: t.exposeString('error'),
  }),
});

export const ImageVerificationRef = builder.objectRef<ImageVerificationRow>('ImageVerification');

builder.node(ImageVerificationRef, {
  authScopes: { viewer: true },
  id: { resolve: (v) => v.id },
  loadMany: async (ids, ctx) =>
    orderByIds(ids, await ctx.services.storeVerify.getVerifications(ids), (v) => v.id),
  fields: (t) => ({
    version: t.field({
      type: ImageVersionRef,
      nullable: true,
      resolve: (v, _a, ctx) => loadVersion(ctx, v.imageVersionId),
    }),
    state: t.expose('state', { type: VerificationStateEnum }),
    chunksTotal: t.exposeInt('chunksTotal', { description: 'Distinct chunks the version references.' }),
    chunksChecked: t.exposeInt('chunksChecked', {
      description: 'Updated about once a second while it runs.',
    }),
    bytesChecked: t.expose('bytesChecked', { type: 'ByteCount', description: 'Disk bytes of good chunks.' }),
    problemCount: t.exposeInt('problemCount'),
    problems: t.field({
      type: [ChunkProblemRef],
      description: 'The first 100 chunks at fault; problemCount counts them all.',
      resolve: (v) => v.problems,
    }),
    reason: t.exposeString('reason', {
      nullable: true,
      description: 'Why it was ABORTED, or why the version could not be read at all.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.objectField(ImageVersionRef, 'lastVerification', (t) =>
  t.field({
    type: ImageVerificationRef,
    nullable: true,
    description: 'The latest check of its chunks in the store (verifyImageVersion); null if never checked.',
    resolve: (v, _a, ctx) =>
      requestLoader(ctx, 'lastVerification', async (ids) =>
        orderByIds(ids, await ctx.services.storeVerify.lastVerifications(ids), (r) => r.imageVersionId),
      ).load(v.id),
  }),
);

const VerifyImageVersionInput = builder.inputType('VerifyImageVersionInput', {
  fields: (t) => ({ versionId: t.id() }),
});

const VerifyImageVersionSuccess = builder
  .objectRef<VerificationRequest>('VerifyImageVersionSuccess')
  .implement({
    authScopes: { viewer: true },
    fields: (t) => ({
      verification: t.field({ type: ImageVerificationRef, resolve: (r) => r.verification }),
      alreadyActive: t.exposeBoolean('alreadyActive', {
        description: 'A check of this version was already waiting or running: it is the one returned.',
      }),
    }),
  });

builder.mutationField('verifyImageVersion', (t) =>
  t.field({
    type: VerifyImageVersionSuccess,
    authScopes: { operator: true },
    description:
      'Checks every chunk of an image version in the store (read, decoded, hashed to its name, as a deploy does), in the background: one check at a time, in request order. Changes nothing; a damaged version lists its chunks at fault.',
    errors: { types: [ImageVersionNotFoundError] },
    args: { input: t.arg({ type: VerifyImageVersionInput }) },
    resolve: (_r, { input }, ctx) => {
      const id = decodeUuidOf(input.versionId, 'ImageVersion');
      if (!id) throw new ImageVersionNotFoundError(String(input.versionId).slice(0, 100));
      return ctx.services.storeVerify.verifyImageVersion(id, ctx.viewer?.userId ?? null);
    },
  }),
);

defineErrorType(ImageVerificationNotFoundError, 'ImageVerificationNotFoundError');

const CancelImageVerificationInput = builder.inputType('CancelImageVerificationInput', {
  fields: (t) => ({ id: t.id({ description: 'The ImageVerification.' }) }),
});

const CancelImageVerificationSuccess = builder
  .objectRef<{ verification: ImageVerificationRow }>('CancelImageVerificationSuccess')
  .implement({
    authScopes: { viewer: true },
    fields: (t) => ({
      verification: t.field({
        type: ImageVerificationRef,
        description: 'ABORTED ("cancelled by <user>"), or as it was when it had already ended.',
        resolve: (r) => r.verification,
      }),
    }),
  });

builder.mutationField('cancelImageVerification', (t) =>
  t.field({
    type: CancelImageVerificationSuccess,
    authScopes: { operator: true },
    description:
      'Stops a waiting or running check of an image version (the next waiting one starts); one that has ended is returned unchanged.',
    errors: { types: [ImageVerificationNotFoundError] },
    args: { input: t.arg({ type: CancelImageVerificationInput }) },
    resolve: async (_r, { input }, ctx) => {
      const id = decodeUuidOf(input.id, 'ImageVerification');
      if (!id) throw new ImageVerificationNotFoundError(String(input.id));
      const by = ctx.viewer?.username ?? 'an operator';
      return { verification: await ctx.services.storeVerify.cancel(id, by) };
    },
  }),
);
