/** Chunk names: the lowercase hex sha256 of the uncompressed bytes, and nothing else. */
import { createHash } from 'node:crypto';

const CHUNK_HASH = /^[0-9a-f]{64}$/;

export class InvalidChunkHashError extends Error {
  readonly code = 'INVALID_CHUNK_HASH';
  readonly hash: string;
  constructor(hash: string) {
    super(`not a chunk hash (64 lowercase hex): ${JSON.stringify(hash.slice(0, 80))}`);
    this.hash = hash;
  }
}

export function isChunkHash(value: string): boolean {
  return CHUNK_HASH.test(value);
}

export function assertChunkHash(value: string): void {
  if (!isChunkHash(value)) throw new InvalidChunkHashError(value);
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
