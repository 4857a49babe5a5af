/** Deploy routes: the pinned manifest, and the chunks it references. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream/promises';
import { ChunkNotFoundError, isChunkHash } from '../imaging/index.ts';
import { sendJson } from './http-io.ts';
import type { ReadBuffers } from './limits.ts';
import { DEPLOY_TYPES, type TransferCore } from './transfer-core.ts';
import { TransferError } from './transfer-errors.ts';
import type { TransferStore } from './transfer-store.ts';
import { versionOf } from './version-cache.ts';

export async function handleManifest(core: TransferCore, req: IncomingMessage, res: ServerResponse) {
  const { task } = await core.session(req, 'manifest', DEPLOY_TYPES);
  const version = await versionOf(core, task);
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(version.text)),
    'brume-manifest-digest': version.digest,
    'cache-control': 'no-store',
  });
  res.end(version.text);
}

export async function handleBlockGet(
  core: TransferCore,
  store: TransferStore,
  req: IncomingMessage,
  res: ServerResponse,
  hash: string,
) {
  const { task, mac } = await core.session(req, 'block', DEPLOY_TYPES);
  if (!isChunkHash(hash)) throw new TransferError('INVALID_REQUEST', 'not a chunk hash');
  const version = await versionOf(core, task);
  if (!version.hashes.has(hash)) {
    await core.auth.audit(req, mac, 'block', task.id, 'BLOCK_NOT_IN_IMAGE');
    throw new TransferError('BLOCK_NOT_IN_IMAGE', 'this chunk is not part of the task image');
  }
  const release = core.slots.take(task.id);
  try {
    const direct = core.readers.readAlone(task.id);
    await sendPooled(res, core.readBuffers, (buffer) => readChunk(store, hash, buffer, direct));
  } finally {
    release();
  }
}

/**
 * Sends the bytes `fill` puts in (or returns instead of) a pooled buffer as a zstd body. The
 * socket may still be writing from the buffer until the response has finished, so it goes back to
 * the pool only then; a response that ends any other way (client gone) drops its buffer rather
 * than risk a later body overwriting bytes still queued for this one.
 */
export async function sendPooled(
  res: ServerResponse,
  buffers: ReadBuffers,
  fill: (buffer: Buffer) => Promise<Uint8Array>,
): Promise<void> {
  const buffer = buffers.take();
  let reusable = true;
  try {
    const body = await fill(buffer);
    res.writeHead(200, {
      'content-type': 'application/zstd',
      'content-length': String(body.length),
      'cache-control': 'no-store',
    });
    res.end(body);
    await finished(res).catch(() => undefined);
    reusable = res.writableFinished;
  } finally {
    if (reusable) buffers.give(buffer);
  }
}

/** The chunk's bytes: in `buffer` when they fit (the common case), else in a buffer of their own. */
async function readChunk(
  store: TransferStore,
  hash: string,
  buffer: Buffer,
  direct: boolean,
): Promise<Uint8Array> {
  try {
    const n = await store.readInto(hash, buffer, { direct });
    return n >= 0 ? buffer.subarray(0, n) : await store.read(hash);
  } catch (err) {
    if (err instanceof ChunkNotFoundError)
      throw new TransferError('NOT_FOUND', `chunk ${hash} is missing from the store`);
    throw err;
  }
}

export { sendJson };
