/**
 * The replica side of replication (PROTOCOL.md "Replication"): another brume-server, holding an
 * ADMIN API token of this one, asks which chunks are missing, sends them (verified here exactly
 * as capture uploads are), then pushes the version, which lands whole or not at all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Viewer } from '../graphql/context.ts';
import { isUuid } from '../hosts/sql-helpers.ts';
import {
  ImageInUseError,
  ImageNotReplicaError,
  ImageProtectedError,
  ReplicaVersionConflictError,
} from '../images/image-errors.ts';
import { IMAGE_TYPES, OS_TYPES } from '../images/image-kinds.ts';
import { isValidImageName } from '../images/image-name.ts';
import {
  boundedRun,
  CorruptChunkError,
  InvalidManifestError,
  isChunkHash,
  type LocalImageStore,
  type Manifest,
  manifestDigest,
  parseManifest,
  referencedHashes,
  UnsupportedManifestVersionError,
} from '../imaging/index.ts';
import { MAX_BLOCK_BODY, MAX_MANIFEST_BODY } from '../transfer/capture-handlers.ts';
import { clientAddress, MIB, readJson, readSharedBody, sendJson } from '../transfer/http-io.ts';
import { missingBody } from '../transfer/request-schemas.ts';
import type { TransferCore } from '../transfer/transfer-core.ts';
import { isNoSpace, TransferError } from '../transfer/transfer-errors.ts';
import type { TransferStore } from '../transfer/transfer-store.ts';

interface ReplicaSession {
  readonly viewer: Viewer;
  readonly source: string;
}

async function audit(
  core: TransferCore,
  req: IncomingMessage,
  viewer: Viewer | null,
  action: string,
  targetIds: readonly string[],
  outcome: string,
) {
  await core.deps.audit
    .append({
      actorUserId: viewer?.userId ?? null,
      actorTokenId: viewer?.tokenId ?? null,
      actorName: viewer ? `token:${viewer.username}` : 'anonymous',
      action: `replication.${action}`,
      targetIds,
      input: { method: req.method ?? '', path: (req.url ?? '').split('?')[0]?.slice(0, 200) ?? '' },
      allowed: outcome === 'OK',
      outcome,
      clientAddress: clientAddress(req),
      requestId: null,
    })
    .catch((err: unknown) => core.deps.log.error({ err }, 'replication audit failed'));
}

/** An ADMIN API token and a well-formed `Brume-Source`, or a refusal (audited). */
async function session(core: TransferCore, req: IncomingMessage, action: string): Promise<ReplicaSession> {
  const header = req.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
  const refuse = async (viewer: Viewer | null, error: TransferError) => {
    await audit(core, req, viewer, action, [], error.code);
    return error;
  };
  if (token === '')
    throw await refuse(null, new TransferError('TOKEN_MISSING', 'an API bearer token is required'));
  const viewer = await core.deps.bearer(token);
  if (!viewer) {
    throw await refuse(null, new TransferError('TOKEN_INVALID', 'unknown, revoked or expired API token'));
  }
  if (viewer.role !== 'ADMIN') {
    throw await refuse(
      viewer,
      new TransferError('NOT_ALLOWED', 'replication needs a token with the ADMIN role'),
    );
  }
  const source = req.headers['brume-source'];
  if (typeof source !== 'string' || !isValidImageName(source)) {
    throw new TransferError(
      'INVALID_REQUEST',
      'Brume-Source must name the source server (1-64 of A-Z a-z 0-9 . _ -)',
    );
  }
  return { viewer, source };
}

/** One writer per source, so its flush makes that source's chunks durable before a version lands. */
const writerOf = (store: TransferStore, source: string): LocalImageStore => store.writer(`replica-${source}`);

export async function handleReplicaMissing(
  core: TransferCore,
  store: TransferStore,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const { source } = await session(core, req, 'missing');
  await core.deps.storeIdle?.();
  const { hashes } = await readJson(req, MIB, missingBody);
  const writer = writerOf(store, source);
  // `keep` refreshes a present chunk's age: a collection here keeps it until the version lands.
  const kept = new Array<boolean>(hashes.length);
  await boundedRun(hashes.length, 8, async (i) => {
    kept[i] = (await writer.chunks.keep(hashes[i] as string)) !== null;
  });
  sendJson(res, 200, { missing: hashes.filter((_, i) => !kept[i]) });
}

export async function handleReplicaChunk(
  core: TransferCore,
  store: TransferStore,
  req: IncomingMessage,
  res: ServerResponse,
  hash: string,
) {
  const { source } = await session(core, req, 'chunk');
  if (!isChunkHash(hash)) throw new TransferError('INVALID_REQUEST', 'not a chunk hash');
  await core.deps.storeIdle?.();
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  const size = Number.isSafeInteger(declared) && declared >= 0 ? declared : MAX_BLOCK_BODY;
  const unbudget = await core.uploadBudget.take(core.bodyBuffers.sizeFor(size));
  let compressed: Uint8Array | null = null;
  try {
    compressed = await readSharedBody(req, MAX_BLOCK_BODY, core.bodyBuffers);
    let bytes: number;
    try {
      bytes = await core.verifier.verify(hash, compressed);
    } catch (err) {
      if (err instanceof CorruptChunkError) throw new TransferError('HASH_MISMATCH', err.message, { hash });
      throw err;
    }
    try {
      const result = await writerOf(store, source).chunks.putEncoded({ hash, compressed, size: bytes });
      sendJson(res, result.added ? 201 : 200, { hash, storedSize: result.storedSize, added: result.added });
    } catch (err) {
      if (isNoSpace(err))
        throw new TransferError('STORAGE_FULL', 'image store full (no space left on device)');
      throw err;
    }
  } finally {
    if (compressed) core.bodyBuffers.give(compressed);
    unbudget();
  }
}

const versionBody = z.object({
  image: z.object({
    name: z.string().refine(isValidImageName, 'not an image name'),
    description: z.string().max(1000),
    osType: z.enum(OS_TYPES),
    imageType: z.enum(IMAGE_TYPES),
    keepVersions: z.number().int().min(1).max(1000).nullable(),
  }),
  number: z.number().int().min(1).max(2_147_483_647),
  current: z.boolean(),
  manifest: z.record(z.string(), z.unknown()),
});

/**
 * The manifest as the source holds it. Its `name` is the image's name at capture time: an image
 * renamed since keeps its versions, so the name is not compared here.
 */
function checkedManifest(raw: unknown): Manifest {
  try {
    return parseManifest(JSON.stringify(raw), 'replication');
  } catch (err) {
    if (err instanceof InvalidManifestError || err instanceof UnsupportedManifestVersionError) {
      throw new TransferError('INVALID_MANIFEST', err.message);
    }
    throw err;
  }
}

/** Every chunk durable and present, the manifest file written, then the rows in one transaction. */
export async function handleReplicaVersion(
  core: TransferCore,
  store: TransferStore,
  req: IncomingMessage,
  res: ServerResponse,
  versionId: string,
) {
  const { viewer, source } = await session(core, req, 'version');
  if (!isUuid(versionId)) throw new TransferError('INVALID_REQUEST', 'not a version uuid');
  const body = await readJson(req, MAX_MANIFEST_BODY, versionBody);
  const manifest = checkedManifest(body.manifest);
  const writer = writerOf(store, source);
  try {
    await writer.chunks.flush();
    const missing: string[] = [];
    for (const hash of referencedHashes(manifest)) if (!(await writer.chunks.has(hash))) missing.push(hash);
    if (missing.length > 0) {
      throw new TransferError('MISSING_BLOCKS', `${missing.length} chunks are not in the store`, {
        missing: missing.slice(0, 1024),
      });
    }
    await writer.manifests.publish(manifest);
  } catch (err) {
    if (isNoSpace(err)) throw new TransferError('STORAGE_FULL', 'image store full (no space left on device)');
    throw err;
  }
  try {
    const adopted = await core.deps.images.adoptReplicaVersion({
      source,
      image: body.image,
      versionId,
      number: body.number,
      current: body.current,
      sizeBytes: manifest.disk.size,
      storedBytes: manifest.totals.storedBytes,
      blockCount: manifest.blocks.length,
      manifestHash: manifestDigest(manifest),
      manifest,
    });
    await audit(core, req, viewer, 'version', [adopted.image.id, versionId], 'OK');
    const { version } = adopted;
    sendJson(res, adopted.created ? 201 : 200, {
      versionId: version.id,
      number: version.number,
      created: adopted.created,
    });
  } catch (err) {
    if (err instanceof ImageNotReplicaError) throw new TransferError('IMAGE_NOT_REPLICA', err.message);
    if (err instanceof ReplicaVersionConflictError) throw new TransferError('VERSION_CONFLICT', err.message);
    throw err;
  }
}

/**
 * The source deleted an image it had sent here: this server's copy goes too, unless it is not the
 * source's (captured here, or from another source), protected here, or in use here.
 */
export async function handleReplicaImageDelete(
  core: TransferCore,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
) {
  const { viewer, source } = await session(core, req, 'delete');
  if (!isValidImageName(name)) throw new TransferError('INVALID_REQUEST', 'not an image name');
  const image = await core.deps.images.findImageByName(name);
  if (!image) {
    sendJson(res, 200, { deleted: false });
    return;
  }
  if (image.replicaOf !== source) {
    throw new TransferError('IMAGE_NOT_REPLICA', `image ${image.name} was not received from ${source}: kept`);
  }
  try {
    await core.deps.images.deleteImage(image.id);
  } catch (err) {
    if (err instanceof ImageProtectedError)
      throw new TransferError('IMAGE_PROTECTED', `image ${image.name} is protected on this server: kept`);
    if (err instanceof ImageInUseError) {
      throw new TransferError(
        'IMAGE_IN_USE',
        `image ${image.name} is in use on this server (an active task or multicast session): deleted at a later pass`,
      );
    }
    throw err;
  }
  await audit(core, req, viewer, 'delete', [image.id], 'OK');
  sendJson(res, 200, { deleted: true });
}
