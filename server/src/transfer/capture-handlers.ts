/**
 * Capture routes: which chunks are missing, block uploads (staged, verified before storing),
 * and the commit that publishes the version whole or not at all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeMac } from '../hosts/mac-address.ts';
import { captureRefusal } from '../images/capture-refusal.ts';
import {
  boundedRun,
  CorruptChunkError,
  InvalidManifestError,
  isChunkHash,
  manifestDigest,
  type PutResult,
  parseManifest,
  referencedHashes,
  UnsupportedManifestVersionError,
} from '../imaging/index.ts';
import type { TaskRow } from '../tasks/tasks-table.ts';
import { MIB, readBody, readJson, readSharedBody, sendJson } from './http-io.ts';
import { missingBody } from './request-schemas.ts';
import { taskIdOfToken, tokenDigest } from './task-token.ts';
import type { TransferCore } from './transfer-core.ts';
import { isNoSpace, TransferError } from './transfer-errors.ts';
import type { TransferStore } from './transfer-store.ts';

/** zstd's bound for the largest block (64 MiB) plus headroom. */
export const MAX_BLOCK_BODY = 65 * MIB;
export const MAX_MANIFEST_BODY = 64 * MIB;
const CAPTURE = ['CAPTURE'] as const;
const committing = new Set<string>();

/**
 * Image rows the `missing` look-ups read, for a second: a capture asks several hundred times and
 * each read was a database round trip. A refusal that appears meanwhile (the image protected)
 * shows within that second, and the commit always reads the row afresh.
 */
const recentImages = new Map<string, { at: number; image: Awaited<ReturnType<typeof loadImage>> }>();
const IMAGE_ROW_MS = 1000;

function loadImage(core: TransferCore, task: TaskRow) {
  return task.imageId ? core.deps.images.getImage(task.imageId) : Promise.resolve(undefined);
}

async function recentImage(core: TransferCore, task: TaskRow) {
  const now = Date.now();
  const hit = recentImages.get(task.id);
  if (hit && now - hit.at < IMAGE_ROW_MS) return hit.image;
  if (recentImages.size > 1000) recentImages.clear();
  const image = await loadImage(core, task);
  recentImages.set(task.id, { at: now, image });
  return image;
}

async function captureImage(core: TransferCore, task: TaskRow, fresh = true) {
  const image = fresh ? await loadImage(core, task) : await recentImage(core, task);
  if (!image) throw new TransferError('NOT_FOUND', 'the image of this capture is gone');
  const refusal = captureRefusal(image);
  if (refusal) {
    await core.move(task.id, 'FAILED', refusal);
    throw new TransferError('IMAGE_PROTECTED', `image ${image.name}: ${refusal}`);
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
  await captureImage(core, task, false);
  await core.deps.storeIdle?.();
  const { hashes } = await readJson(req, MIB, missingBody);
  const writer = store.writer(task.id);
  const missing: string[] = [];
  const present: Record<string, number> = {};
  // A few store look-ups at once: each is several file-system calls on libuv's thread pool.
  const kept = new Array<PutResult | null>(hashes.length);
  await boundedRun(hashes.length, 8, async (i) => {
    kept[i] = await writer.chunks.keep(hashes[i] as string);
  });
  for (const [i, hash] of hashes.entries()) {
    const k = kept[i];
    if (k) present[hash] = k.storedSize;
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
  await core.deps.storeIdle?.();
  const index = intHeader(req, 'brume-block') ?? -1;
  const release = core.slots.take(task.id);
  // Bodies are held in memory (no staging file to write, read back and remove) under a byte
  // budget shared by every capture: past it a request waits before its body is read.
  const declared = intHeader(req, 'content-length');
  const unbudget = await core.uploadBudget.take(core.bodyBuffers.sizeFor(declared ?? MAX_BLOCK_BODY));
  let compressed: Uint8Array | null = null;
  try {
    compressed = await readSharedBody(req, MAX_BLOCK_BODY, core.bodyBuffers);
    let size: number;
    try {
      size = await core.verifier.verify(hash, compressed);
    } catch (err) {
      if (err instanceof CorruptChunkError) throw new TransferError('HASH_MISMATCH', err.message, { hash });
      throw err;
    }
    let result: PutResult;
    try {
      result = await store.writer(task.id).chunks.putEncoded({ hash, compressed, size });
    } catch (err) {
      if (isNoSpace(err)) throw await storageFull(core, store, task, `storing block ${index}`);
      throw err;
    }
    if (index >= 0) core.hub.blockStored(task.id, index, size);
    sendJson(res, result.added ? 201 : 200, { hash, storedSize: result.storedSize, added: result.added });
  } finally {
    // Verified and written (or refused): nothing holds the body any more.
    if (compressed) core.bodyBuffers.give(compressed);
    unbudget();
    release();
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

/**
 * Answers of successful commits by token digest, so a commit whose reply was lost can be sent
 * again: the same manifest from the same token and MAC gets the same answer (the token itself no
 * longer opens the task, which ended with the commit). Kept for a while, in memory; after a
 * restart the task row answers instead (committedAnswer).
 */
const answers = new Map<string, { mac: string; digest: string; answer: CommitAnswer; at: number }>();
const ANSWER_KEEP_MS = 15 * 60_000;

interface CommitAnswer {
  readonly version: number;
  readonly versionId: string;
  readonly manifestDigest: string;
}

function taskIdOfBearer(req: IncomingMessage): string | null {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? taskIdOfToken(header.slice(7).trim()) : null;
}

function bearerDigest(req: IncomingMessage): string | null {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? tokenDigest(header.slice(7).trim()) : null;
}

/**
 * The answer of a capture task that a commit already completed, read from its row (it names the
 * version it published) when the request comes from the task's host: after a restart the
 * in-memory answers are gone and the lease (the token's digest) was cleared with the commit. The
 * caller still has to send the very manifest that version holds, so the answer (its number and
 * id) tells it nothing it could not already know.
 */
async function committedAnswer(core: TransferCore, req: IncomingMessage, mac: string) {
  const taskId = taskIdOfBearer(req);
  const task = taskId === null ? undefined : await core.deps.tasks.getTask(taskId);
  if (task?.type !== 'CAPTURE' || task.state !== 'COMPLETE' || !task.imageVersionId) return undefined;
  const host = await core.deps.hosts.findHostByMac(mac);
  if (host?.id !== task.hostId) return undefined;
  const version = await core.deps.images.getVersion(task.imageVersionId);
  if (!version) return undefined;
  const answer = { version: version.number, versionId: version.id, manifestDigest: version.manifestHash };
  return { mac, digest: version.manifestHash, answer, at: Date.now() };
}

/** True when this request repeats a commit that already succeeded (and was answered again). */
async function repeatedCommit(core: TransferCore, req: IncomingMessage, res: ServerResponse) {
  const key = bearerDigest(req);
  const macHeader = req.headers['brume-mac'];
  const mac = typeof macHeader === 'string' ? normalizeMac(macHeader) : undefined;
  if (key === null || mac === undefined) return false;
  const earlier = answers.get(key) ?? (await committedAnswer(core, req, mac));
  if (!earlier || earlier.mac !== mac) return false;
  const body = await readBody(req, MAX_MANIFEST_BODY);
  let digest: string | null = null;
  try {
    digest = manifestDigest(parseManifest(body.toString('utf8'), 'upload'));
  } catch {
    // Not the same manifest: refused below like any use of an ended task's token.
  }
  if (digest !== earlier.digest) {
    throw new TransferError('TASK_ENDED', 'the task is complete', { state: 'COMPLETE' });
  }
  await core.auth.audit(req, earlier.mac, 'commit', taskIdOfBearer(req), 'OK');
  sendJson(res, 200, earlier.answer);
  return true;
}

function remember(req: IncomingMessage, mac: string, answer: CommitAnswer) {
  const key = bearerDigest(req);
  if (key === null) return;
  const at = Date.now();
  for (const [k, v] of answers) if (at - v.at > ANSWER_KEEP_MS) answers.delete(k);
  answers.set(key, { mac, digest: answer.manifestDigest, answer, at });
}

export async function handleCommit(
  core: TransferCore,
  store: TransferStore,
  req: IncomingMessage,
  res: ServerResponse,
) {
  if (await repeatedCommit(core, req, res)) return;
  const { task, mac } = await core.session(req, 'commit', CAPTURE);
  const image = await captureImage(core, task);
  recentImages.delete(task.id);
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
    const answer = { version: version.number, versionId: version.id, manifestDigest: version.manifestHash };
    remember(req, mac, answer);
    await core.move(task.id, 'COMPLETE', undefined, version.id);
    await core.auth.audit(req, mac, 'commit', task.id, 'OK');
    await store.release(task.id);
    sendJson(res, 200, answer);
  } finally {
    committing.delete(image.id);
  }
}
