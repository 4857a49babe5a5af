/**
 * Capture routes: which chunks are missing, block uploads (staged, verified before storing),
 * and the commit that publishes the version whole or not at all.
 */
import { promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CorruptChunkError,
  decodeChunk,
  InvalidManifestError,
  isChunkHash,
  manifestDigest,
  parseManifest,
  referencedHashes,
  UnsupportedManifestVersionError,
} from '../imaging/index.ts';
import type { TaskRow } from '../tasks/tasks-table.ts';
import { MIB, readBody, readJson, sendJson, streamBodyToFile } from './http-io.ts';
import { missingBody } from './request-schemas.ts';
import type { TransferCore } from './transfer-core.ts';
import { isNoSpace, TransferError } from './transfer-errors.ts';
import type { TransferStore } from './transfer-store.ts';

/** zstd's bound for the largest block (64 MiB) plus headroom. */
export const MAX_BLOCK_BODY = 65 * MIB;
export const MAX_MANIFEST_BODY = 64 * MIB;
const CAPTURE = ['CAPTURE'] as const;
const committing = new Set<string>();

async function captureImage(core: TransferCore, task: TaskRow) {
  const image = task.imageId ? await core.deps.images.getImage(task.imageId) : undefined;
  if (!image) throw new TransferError('NOT_FOUND', 'the image of this capture is gone');
  if (image.protected) {
    await core.move(task.id, 'FAILED', 'the image is protected: captures are refused');
    throw new TransferError('IMAGE_PROTECTED', `image ${image.name} is protected`);
  }
  return image;
}

/** Disk full: the task fails with a reason, its staging goes, the server carries on. */
async function storageFull(core: TransferCore, store: TransferStore, task: TaskRow, what: string) {
  const reason = `image store full (no space left on device) while ${what}`;
  core.deps.log.error({ taskId: task.id }, reason);
  await core.move(task.id, 'FAILED', reason);
  await store.release(task.id);
  return new TransferError('STORAGE_FULL', reason);
}

export async function handleMissing(
  core: TransferCore,
  store: TransferStore,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const { task } = await core.session(req, 'missing', CAPTURE);
  await captureImage(core, task);
  const { hashes } = await readJson(req, MIB, missingBody);
  const writer = store.writer(task.id);
  const missing: string[] = [];
  const present: Record<string, number> = {};
  for (const hash of hashes) {
    const kept = await writer.chunks.keep(hash);
    if (kept) present[hash] = kept.storedSize;
    else missing.push(hash);
  }
  sendJson(res, 200, { missing, present });
}

function intHeader(req: IncomingMessage, name: string): number | null {
  const raw = req.headers[name];
  if (typeof raw !== 'string' || !/^-?\d{1,15}$/.test(raw)) return null;
  return Number(raw);
}

export async function handleBlockPut(
  core: TransferCore,
  store: TransferStore,
  req: IncomingMessage,
  res: ServerResponse,
  hash: string,
) {
  const { task } = await core.session(req, 'upload', CAPTURE);
  if (!isChunkHash(hash)) throw new TransferError('INVALID_REQUEST', 'not a chunk hash');
  const index = intHeader(req, 'brume-block') ?? -1;
  const release = core.slots.take(task.id);
  const staged = await store.stagingFile(task.id, hash);
  try {
    try {
      await streamBodyToFile(req, staged, MAX_BLOCK_BODY);
    } catch (err) {
      if (isNoSpace(err)) throw await storageFull(core, store, task, `receiving block ${index}`);
      throw err;
    }
    const result = await core.verify.run(async () => {
      const compressed = await fs.readFile(staged);
      let size: number;
      try {
        size = decodeChunk(hash, compressed).length;
      } catch (err) {
        if (err instanceof CorruptChunkError) throw new TransferError('HASH_MISMATCH', err.message, { hash });
        throw err;
      }
      try {
        return { ...(await store.writer(task.id).chunks.putEncoded({ hash, compressed, size })), size };
      } catch (err) {
        if (isNoSpace(err)) throw await storageFull(core, store, task, `storing block ${index}`);
        throw err;
      }
    });
    if (index >= 0) core.hub.blockStored(task.id, index, result.size);
    sendJson(res, result.added ? 201 : 200, { hash, storedSize: result.storedSize, added: result.added });
  } finally {
    release();
    await fs.rm(staged, { force: true });
  }
}

async function parseCommitted(req: IncomingMessage, imageName: string) {
  const body = await readBody(req, MAX_MANIFEST_BODY);
  try {
    const manifest = parseManifest(body.toString('utf8'), 'upload');
    if (manifest.name !== imageName) throw new InvalidManifestError('upload', [`name must be ${imageName}`]);
    return manifest;
  } catch (err) {
    if (err instanceof InvalidManifestError || err instanceof UnsupportedManifestVersionError) {
      throw new TransferError('INVALID_MANIFEST', err.message);
    }
    throw err;
  }
}

export async function handleCommit(
  core: TransferCore,
  store: TransferStore,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const { task, mac } = await core.session(req, 'commit', CAPTURE);
  const image = await captureImage(core, task);
  const manifest = await parseCommitted(req, image.name);
  if (committing.has(image.id))
    throw new TransferError('CAPTURE_CONFLICT', `another capture of ${image.name} is committing`);
  committing.add(image.id);
  try {
    const writer = store.writer(task.id);
    try {
      await writer.chunks.flush();
    } catch (err) {
      if (isNoSpace(err)) throw await storageFull(core, store, task, 'making the blocks durable');
      throw err;
    }
    const missing: string[] = [];
    for (const hash of referencedHashes(manifest)) if (!(await writer.chunks.has(hash))) missing.push(hash);
    if (missing.length > 0) {
      throw new TransferError('MISSING_BLOCKS', `${missing.length} chunks are not in the store`, {
        missing: missing.slice(0, 1024),
      });
    }
    const fresh = await core.deps.tasks.getTask(task.id);
    if (fresh?.state !== 'IN_PROGRESS') {
      throw new TransferError('TASK_ENDED', 'the task ended before its commit', {
        state: fresh?.state ?? 'UNKNOWN',
      });
    }
    try {
      await writer.manifests.publish(manifest);
    } catch (err) {
      if (isNoSpace(err)) throw await storageFull(core, store, task, 'writing the manifest');
      throw err;
    }
    const version = await core.deps.images.publishImageVersion({
      imageId: image.id,
      sizeBytes: manifest.disk.size,
      storedBytes: manifest.totals.storedBytes,
      blockCount: manifest.blocks.length,
      manifestHash: manifestDigest(manifest),
      manifest,
      createdById: task.createdById,
    });
    await core.move(task.id, 'COMPLETE');
    await core.auth.audit(req, mac, 'commit', task.id, 'OK');
    await store.release(task.id);
    sendJson(res, 200, {
      version: version.number,
      versionId: version.id,
      manifestDigest: version.manifestHash,
    });
  } finally {
    committing.delete(image.id);
  }
}
