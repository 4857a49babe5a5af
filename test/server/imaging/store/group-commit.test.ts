import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeChunk } from '../../../../server/src/imaging/store/chunk-codec.ts';
import { LocalChunkStore } from '../../../../server/src/imaging/store/local-chunk-store.ts';
import { tempDir } from '../pipeline/support/engine-fixtures.ts';

const tmp = tempDir('brume-groupcommit-');
afterAll(tmp.cleanup);

const chunk = (seed: number) =>
  encodeChunk(Uint8Array.from({ length: 20_000 }, (_, i) => (i * seed + seed) % 253));

describe('chunk files committed in groups', () => {
  it('Given more chunks put at once than may wait for a commit, then after flush every one is stored once under its name, readable, and no temp file is left', async () => {
    const store = new LocalChunkStore(join(tmp.dir, 'many'));
    const chunks = Array.from({ length: 150 }, (_, i) => chunk(i + 1));
    const puts = await Promise.all(chunks.map((c) => store.putEncoded(c)));
    await store.flush();
    expect(puts.every((p) => p.added)).toBe(true);
    const listed: string[] = [];
    for await (const e of store.list()) listed.push(e.hash);
    expect(listed.sort()).toEqual(chunks.map((c) => c.hash).sort());
    const temps: string[] = [];
    for await (const t of store.listTemp()) temps.push(t.path);
    expect(temps).toEqual([]);
    for (const c of chunks.slice(0, 10)) expect(await store.has(c.hash)).toBe(true);
    const back = await store.getCompressed(chunks[7]?.hash ?? '');
    expect(Buffer.from(back).equals(Buffer.from(chunks[7]?.compressed ?? []))).toBe(true);
  });

  it('Given a chunk read into a buffer too small for it, then the store says so (-1) instead of a partial read', async () => {
    const store = new LocalChunkStore(join(tmp.dir, 'into'));
    const c = chunk(3);
    await store.putEncoded(c);
    await store.flush();
    const big = new Uint8Array(c.compressed.length + 10);
    expect(await store.getCompressedInto(c.hash, big)).toBe(c.compressed.length);
    expect(Buffer.from(big.subarray(0, c.compressed.length)).equals(Buffer.from(c.compressed))).toBe(true);
    expect(await store.getCompressedInto(c.hash, new Uint8Array(c.compressed.length - 1))).toBe(-1);
  });
});
