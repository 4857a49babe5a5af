import { existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeChunk } from '../../../../server/src/imaging/store/chunk-codec.ts';
import { InvalidChunkHashError, sha256Hex } from '../../../../server/src/imaging/store/chunk-hash.ts';
import {
  ChunkNotFoundError,
  CorruptChunkError,
  UnsafeStorePathError,
} from '../../../../server/src/imaging/store/chunk-store.ts';
import { LocalChunkStore } from '../../../../server/src/imaging/store/local-chunk-store.ts';
import { tempDir } from '../pipeline/support/engine-fixtures.ts';

const tmp = tempDir('brume-store-');
afterAll(tmp.cleanup);
let n = 0;
const freshStore = () => new LocalChunkStore(join(tmp.dir, `s${n++}`));
const data = (seed: number, size = 100_000) => Uint8Array.from({ length: size }, (_, i) => (i * seed) % 251);

function chunkPath(root: string, hash: string): string {
  return join(root, 'chunks', hash.slice(0, 2), hash.slice(2, 4), `${hash}.zst`);
}

describe('local chunk store', () => {
  it('Given bytes put into the store, then they are named by sha256, stored compressed under ab/cd, and read back verified', async () => {
    const store = freshStore();
    const bytes = data(7);
    const put = await store.put(bytes);
    await store.flush();
    expect(put.hash).toBe(sha256Hex(bytes));
    expect(put.added).toBe(true);
    expect(put.storedSize).toBeLessThan(bytes.length);
    expect(existsSync(chunkPath(store.root, put.hash))).toBe(true);
    expect(Buffer.from(await store.get(put.hash)).equals(Buffer.from(bytes))).toBe(true);
    expect(await store.has(put.hash)).toBe(true);
  });

  it('Given the same chunk put twice, then one copy is kept and the second put adds nothing', async () => {
    const store = freshStore();
    const first = await store.put(data(3));
    const again = await store.putEncoded(encodeChunk(data(3)));
    await store.flush();
    expect(again).toEqual({ hash: first.hash, storedSize: first.storedSize, added: false });
    const listed = [];
    for await (const e of store.list()) listed.push(e.hash);
    expect(listed).toEqual([first.hash]);
  });

  it('Given a stored chunk with one bit flipped, when read, then a CorruptChunkError names its hash', async () => {
    const store = freshStore();
    const { hash } = await store.put(data(5));
    await store.flush();
    const path = chunkPath(store.root, hash);
    const bytes = readFileSync(path);
    const at = Math.floor(bytes.length / 2);
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0x10, at);
    writeFileSync(path, bytes);
    const error = await store.get(hash).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptChunkError);
    expect((error as CorruptChunkError).hash).toBe(hash);
    expect((error as Error).message).toContain(hash);
  });

  it('Given compressed bytes that do not match the claimed hash, then putCompressed refuses them and stores nothing', async () => {
    const store = freshStore();
    const real = encodeChunk(data(9));
    const wrong = sha256Hex(data(10));
    await expect(store.putCompressed(wrong, real.compressed)).rejects.toBeInstanceOf(CorruptChunkError);
    expect(await store.has(wrong)).toBe(false);
    const ok = await store.putCompressed(real.hash, real.compressed);
    expect(ok.added).toBe(true);
  });

  it('Given names that are not 64 lowercase hex digits, then every operation refuses them', async () => {
    const store = freshStore();
    for (const bad of ['../../etc/passwd', 'A'.repeat(64), 'ab', `${'a'.repeat(63)}/`, '']) {
      await expect(store.has(bad)).rejects.toBeInstanceOf(InvalidChunkHashError);
      await expect(store.get(bad)).rejects.toBeInstanceOf(InvalidChunkHashError);
      await expect(store.remove(bad)).rejects.toBeInstanceOf(InvalidChunkHashError);
    }
    await expect(store.get('f'.repeat(64))).rejects.toBeInstanceOf(ChunkNotFoundError);
  });

  it('Given a symlink planted in the store pointing outside, then it is never followed for reads, writes or listing', async () => {
    const store = freshStore();
    const outside = join(tmp.dir, `outside-${n}`);
    mkdirSync(outside);
    const secret = encodeChunk(data(11));
    // A fan-out directory that is a symlink to a directory outside the store.
    mkdirSync(join(store.root, 'chunks'), { recursive: true });
    symlinkSync(outside, join(store.root, 'chunks', secret.hash.slice(0, 2)));
    mkdirSync(join(outside, secret.hash.slice(2, 4)));
    writeFileSync(join(outside, secret.hash.slice(2, 4), `${secret.hash}.zst`), secret.compressed);
    await expect(store.get(secret.hash)).rejects.toBeInstanceOf(UnsafeStorePathError);
    await expect(store.putEncoded(secret)).rejects.toBeInstanceOf(UnsafeStorePathError);
    // A chunk file that is a symlink to a file outside.
    const other = encodeChunk(data(12));
    const dir = join(store.root, 'chunks', other.hash.slice(0, 2), other.hash.slice(2, 4));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(outside, 'target.zst'), other.compressed);
    symlinkSync(join(outside, 'target.zst'), join(dir, `${other.hash}.zst`));
    expect(await store.has(other.hash)).toBe(false);
    await expect(store.getCompressed(other.hash)).rejects.toBeInstanceOf(UnsafeStorePathError);
    const listed = [];
    for await (const e of store.list()) listed.push(e.hash);
    expect(listed).toEqual([]);
    await store.remove(other.hash);
    expect(existsSync(join(outside, 'target.zst'))).toBe(true);
  });

  it('Given an old chunk reused by a capture, then keep() refreshes its age so a concurrent GC spares it', async () => {
    const store = freshStore();
    const { hash } = await store.put(data(13));
    await store.flush();
    const old = new Date(Date.now() - 48 * 3600_000);
    utimesSync(chunkPath(store.root, hash), old, old);
    const kept = await store.keep(hash);
    expect(kept?.hash).toBe(hash);
    let mtime = 0;
    for await (const e of store.list()) mtime = e.mtimeMs;
    expect(mtime).toBeGreaterThan(Date.now() - 60_000);
    expect(await store.keep(sha256Hex(data(14)))).toBeNull();
  });

  it('Given a store of thousands of chunk files, then list() returns each once, with its size, and lets other work run while it walks', async () => {
    // Given: 8 000 chunk files (tiny ones: only names and sizes matter to a listing) in their fan-out directories
    const store = freshStore();
    const sizes = new Map<string, number>();
    for (let i = 0; i < 8000; i++) {
      const hash = sha256Hex(new TextEncoder().encode(`chunk ${i}`));
      const path = chunkPath(store.root, hash);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, Buffer.alloc(1 + (i % 97)));
      sizes.set(hash, 1 + (i % 97));
    }
    // and a timer-driven task that counts its turns meanwhile
    let turns = 0;
    let walking = true;
    const other = (async () => {
      while (walking) {
        await new Promise((r) => setTimeout(r, 1));
        turns++;
      }
    })();

    // When
    const listed = new Map<string, number>();
    for await (const e of store.list()) listed.set(e.hash, e.storedSize);
    walking = false;
    await other;

    // Then
    expect(listed).toEqual(sizes);
    expect(turns).toBeGreaterThan(1);
  });
});
