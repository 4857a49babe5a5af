/**
 * `GET /v1/deploy/blocks?hashes=…`: several chunks of the task's image in one response
 * (PROTOCOL.md, Deploy). A deploy asks for the blocks of one target read this way, so the token
 * check, the image look-up and the HTTP exchange are paid once per group of up to 8 blocks.
 *
 * Memory stays at two pooled chunk buffers per request, whatever the number of chunks: every file
 * is opened first (their sizes make the head: `Content-Length` and `Brume-Chunk-Lengths`), then
 * each is read into one buffer while the other is being sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream/promises';
import { ChunkNotFoundError, type HeldFile, isChunkHash } from '../imaging/index.ts';
import type { ReadBuffers } from './limits.ts';
import { DEPLOY_TYPES, type TransferCore } from './transfer-core.ts';
import { TransferError } from './transfer-errors.ts';
import type { TransferStore } from './transfer-store.ts';
import { versionOf } from './version-cache.ts';

/** Hashes one request may name (the per-task request limit: a client never needs more at once). */
export const MAX_HASHES_PER_GET = 16;
/** Pooled buffers one such request holds, and so the per-task request slots it takes. */
const BUFFERS_PER_GET = 2;

export async function handleBlocksGet(
  core: TransferCore,
  store: TransferStore,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
) {
  const { task, mac } = await core.session(req, 'block', DEPLOY_TYPES);
  const hashes = hashList(url);
  const version = await versionOf(core, task);
  if (!hashes.every((h) => version.hashes.has(h))) {
    await core.auth.audit(req, mac, 'block', task.id, 'BLOCK_NOT_IN_IMAGE');
    throw new TransferError('BLOCK_NOT_IN_IMAGE', 'a chunk asked for is not part of the task image');
  }
  const releases: (() => void)[] = [];
  try {
    for (let i = 0; i < BUFFERS_PER_GET; i++) releases.push(core.slots.take(task.id));
    const files = await openAll(store, hashes, core.readers.readAlone(task.id));
    try {
      await sendChunks(res, core.readBuffers, files, store);
    } finally {
      for (const { file } of files) file.close();
    }
  } finally {
    for (const release of releases) release();
  }
}

/** The `hashes` query parameter: 1 to MAX_HASHES_PER_GET chunk hashes, comma-separated. */
function hashList(url: URL): string[] {
  const all = url.searchParams.getAll('hashes');
  if (all.length !== 1)
    throw new TransferError('INVALID_REQUEST', 'give the chunks as one hashes=… parameter');
  const hashes = (all[0] as string).split(',');
  if (hashes.length > MAX_HASHES_PER_GET)
    throw new TransferError('INVALID_REQUEST', `at most ${MAX_HASHES_PER_GET} hashes per request`);
  if (!hashes.every(isChunkHash)) throw new TransferError('INVALID_REQUEST', 'not a list of chunk hashes');
  return hashes;
}

interface OpenChunk {
  readonly hash: string;
  readonly file: HeldFile;
}

/** Every chunk opened (all or none: a missing one closes the others and is NOT_FOUND). */
async function openAll(
  store: TransferStore,
  hashes: readonly string[],
  direct: boolean,
): Promise<OpenChunk[]> {
  const opened = await Promise.allSettled(hashes.map((hash) => store.open(hash, { direct })));
  const failure = opened.find((r) => r.status === 'rejected');
  if (failure === undefined)
    return opened.map((r, i) => ({
      hash: hashes[i] as string,
      file: (r as PromiseFulfilledResult<HeldFile>).value,
    }));
  for (const r of opened) if (r.status === 'fulfilled') r.value.close();
  const error: unknown = failure.reason;
  if (error instanceof ChunkNotFoundError)
    throw new TransferError('NOT_FOUND', `chunk ${error.hash} is missing from the store`);
  throw error;
}

/**
 * The head, then each chunk read into one of two pooled buffers while the other one's bytes are
 * handed to the socket. A read that fails after the head closes the connection (the client sees
 * a short body and asks again); the buffers then are not given back, as in sendPooled, since a
 * queued write may still reference them.
 */
async function sendChunks(
  res: ServerResponse,
  buffers: ReadBuffers,
  chunks: readonly OpenChunk[],
  store: TransferStore,
): Promise<void> {
  const lengths = chunks.map((c) => c.file.size);
  res.writeHead(200, {
    'content-type': 'application/vnd.brume.chunks',
    'content-length': String(lengths.reduce((a, b) => a + b, 0)),
    'brume-chunk-lengths': lengths.join(','),
    'cache-control': 'no-store',
  });
  const pair = [buffers.take(), buffers.take()] as const;
  const sent: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  let clean = false;
  try {
    for (const [i, { hash, file }] of chunks.entries()) {
      const buffer = pair[i % 2] as Buffer;
      await sent[i % 2];
      const n = await file.readInto(buffer);
      // A chunk larger than the pooled buffers (blocks over 1 MiB) goes in a buffer of its own.
      const bytes = n >= 0 ? buffer.subarray(0, n) : await store.read(hash);
      if (bytes.length !== file.size) throw new Error(`chunk ${hash} changed size while served`);
      const write = writeFlushed(res, bytes);
      // Handled now, awaited later: a client gone meanwhile must not be an unhandled rejection.
      write.catch(() => undefined);
      sent[i % 2] = write;
    }
    await Promise.all(sent);
    res.end();
    await finished(res).catch(() => undefined);
    clean = res.writableFinished;
  } catch (error) {
    // Headers are out: the only way to tell the client is to cut the body short.
    res.destroy();
    await Promise.allSettled(sent);
    // A client that went away is its own business; a failed read is logged by the caller.
    if (!(error instanceof ClientGoneError)) throw error;
  } finally {
    if (clean) for (const buffer of pair) buffers.give(buffer);
  }
}

/** Writes `bytes` and resolves once the socket no longer needs them (or rejects if it closed). */
function writeFlushed(res: ServerResponse, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new ClientGoneError());
    res.once('close', onClose);
    res.write(bytes, (error) => {
      res.off('close', onClose);
      if (error) reject(new ClientGoneError(error));
      else resolve();
    });
  });
}

class ClientGoneError extends Error {
  constructor(cause?: Error) {
    super('the client closed the connection', cause ? { cause } : {});
  }
}
