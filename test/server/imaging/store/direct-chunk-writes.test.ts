/**
 * Chunk files are written with O_DIRECT when the bytes come from a buffer the store handed out
 * (`alignedBytes`): padded to the alignment, cut back to the chunk's length, never in the page
 * cache. Bytes from any other buffer are stored the ordinary way. Checked with util-linux `fincore`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeChunk } from '../../../../server/src/imaging/store/chunk-codec.ts';
import { LocalChunkStore } from '../../../../server/src/imaging/store/local-chunk-store.ts';
import { tempDir } from '../pipeline/support/engine-fixtures.ts';
import { pageCacheBytes, requireTools, seededBytes } from '../readers/support/tools.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

function chunkFile(root: string, hash: string): string {
  return join(root, 'chunks', hash.slice(0, 2), hash.slice(2, 4), `${hash}.zst`);
}

describe('chunk files written without the page cache', () => {
  it('Given compressed bytes in a buffer from alignedBytes, when stored, then the file holds exactly them and none of it is cached; from a plain buffer, it is', async () => {
    requireTools('fincore');
    const root = join(tmp.dir, 'store');
    const store = new LocalChunkStore(root);
    // 100 003 bytes: not a multiple of 4096, so the direct write is padded and cut back.
    const direct = encodeChunk(seededBytes(11, 100_003), 1);
    const view = store.alignedBytes(direct.compressed.length);
    expect(view).not.toBeNull();
    view?.set(direct.compressed);
    await store.putEncoded({ ...direct, compressed: view as Uint8Array });
    const plain = encodeChunk(seededBytes(12, 100_003), 1);
    await store.putEncoded(plain);
    await store.flush();

    const directFile = chunkFile(root, direct.hash);
    expect(statSync(directFile).size).toBe(direct.compressed.length);
    expect(readFileSync(directFile).equals(Buffer.from(direct.compressed))).toBe(true);
    expect(Buffer.from(await store.get(direct.hash)).equals(seededBytes(11, 100_003))).toBe(true);
    const plainFile = chunkFile(root, plain.hash);
    expect(readFileSync(plainFile).equals(Buffer.from(plain.compressed))).toBe(true);
    // readFileSync above read both files back into the cache: drop it, write again, measure.
    execFileSync('sh', [
      '-c',
      `dd if=/dev/null of=${directFile} oflag=nocache conv=notrunc,fdatasync count=0 status=none`,
    ]);
    const again = encodeChunk(seededBytes(13, 200_001), 1);
    const view2 = store.alignedBytes(again.compressed.length) as Uint8Array;
    view2.set(again.compressed);
    await store.putEncoded({ ...again, compressed: view2 });
    const plain2 = encodeChunk(seededBytes(14, 200_001), 1);
    await store.putEncoded(plain2);
    await store.flush();
    expect(pageCacheBytes(chunkFile(root, again.hash))).toBe(0);
    expect(pageCacheBytes(chunkFile(root, plain2.hash))).toBeGreaterThan(0);
    // No probe file and no temp file left behind.
    const leftovers = readdirSync(root, { recursive: true })
      .map(String)
      .filter((n) => /dio-probe|\.tmp$/.test(n));
    expect(leftovers).toEqual([]);
  });
});

describe('chunk files read without the page cache', () => {
  it('Given a stored chunk out of the cache, when read with direct into an aligned buffer, then the bytes are exact and still uncached; without direct, or into any other buffer, they are read through the cache', async () => {
    requireTools('fincore');
    const root = join(tmp.dir, 'read-store');
    const store = new LocalChunkStore(root);
    // Sizes that are not multiples of 4096: the direct read asks for more and stops at the end.
    const chunks = [encodeChunk(seededBytes(21, 300_007), 1), encodeChunk(seededBytes(22, 5_003), 1)];
    for (const c of chunks) {
      const view = store.alignedBytes(c.compressed.length) as Uint8Array;
      view.set(c.compressed);
      await store.putEncoded({ ...c, compressed: view });
    }
    await store.flush();
    const into = store.alignedBytes(96 * 4096) as Uint8Array;
    for (const c of chunks) {
      const file = chunkFile(root, c.hash);
      expect(pageCacheBytes(file)).toBe(0);
      into.fill(0xee);
      const n = await store.getCompressedInto(c.hash, into, { direct: true });
      expect(n).toBe(c.compressed.length);
      expect(Buffer.from(into.subarray(0, n)).equals(Buffer.from(c.compressed))).toBe(true);
      expect(pageCacheBytes(file)).toBe(0);
    }
    // Not from alignedBytes: the same bytes, through the cache.
    const [first, second] = chunks as [(typeof chunks)[0], (typeof chunks)[0]];
    const plain = new Uint8Array(96 * 4096);
    expect(await store.getCompressedInto(first.hash, plain, { direct: true })).toBe(first.compressed.length);
    expect(
      Buffer.from(plain.subarray(0, first.compressed.length)).equals(Buffer.from(first.compressed)),
    ).toBe(true);
    expect(pageCacheBytes(chunkFile(root, first.hash))).toBeGreaterThan(0);
    // Aligned, but direct not asked for: through the cache.
    expect(await store.getCompressedInto(second.hash, into)).toBe(second.compressed.length);
    expect(pageCacheBytes(chunkFile(root, second.hash))).toBeGreaterThan(0);
    // Too small a buffer still says so (-1), direct or not.
    expect(await store.getCompressedInto(first.hash, into.subarray(0, 4096), { direct: true })).toBe(-1);
  });
});
