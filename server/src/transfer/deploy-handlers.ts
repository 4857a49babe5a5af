/** Deploy routes: the pinned manifest, and the chunks it references. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChunkNotFoundError, isChunkHash } from '../imaging/index.ts';
import { sendJson } from './http-io.ts';
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
    const compressed = await store.read(hash).catch((err: unknown) => {
      if (err instanceof ChunkNotFoundError)
        throw new TransferError('NOT_FOUND', `chunk ${hash} is missing from the store`);
      throw err;
    });
    res.writeHead(200, {
      'content-type': 'application/zstd',
      'content-length': String(compressed.length),
      'cache-control': 'no-store',
    });
    await new Promise<void>((resolve) => res.end(compressed, resolve));
  } finally {
    release();
  }
}

export { sendJson };
