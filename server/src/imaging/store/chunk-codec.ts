/**
 * Encoding and verified decoding of one chunk: sha256 of the uncompressed bytes, zstd frame.
 * Pure and synchronous so the same code runs on the main thread and in the worker pool.
 */
import { compress, decompress } from 'zstd-napi';
import { sha256Hex } from './chunk-hash.ts';
import { CorruptChunkError, type EncodedChunk } from './chunk-store.ts';

/** Chosen by `npm run bench`: level 3 matches FOG's zstd -3 in size and is fast enough. */
export const DEFAULT_ZSTD_LEVEL = 3;

export function encodeChunk(data: Uint8Array, level = DEFAULT_ZSTD_LEVEL): EncodedChunk {
  return {
    hash: sha256Hex(data),
    compressed: compress(data, { compressionLevel: level }),
    size: data.length,
  };
}

/** Decompresses and checks the hash; a CorruptChunkError names the chunk on any mismatch. */
export function decodeChunk(hash: string, compressed: Uint8Array): Uint8Array {
  let data: Uint8Array;
  try {
    data = decompress(compressed);
  } catch (error) {
    throw new CorruptChunkError(hash, `zstd: ${(error as Error).message}`);
  }
  const actual = sha256Hex(data);
  if (actual !== hash) throw new CorruptChunkError(hash, `content hashes to ${actual}`);
  return data;
}
