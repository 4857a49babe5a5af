/**
 * Upload bodies are read into recycled shared buffers. Bodies of a 1 MiB block vary in size (a
 * few KiB for text-like blocks, 1 MiB + a frame header for incompressible ones); every one of
 * them must fit any idle buffer, or the pool keeps allocating and dropping buffers that live on
 * until a garbage collection (the server's peak memory grew by 50-60 MiB that way).
 */
import { describe, expect, it } from 'vitest';
import { SharedBuffers } from '../../../server/src/transfer/limits.ts';

const MIB = 1024 * 1024;

describe('upload body buffers', () => {
  it('Given two buffers in use and given back, when bodies of any size up to a 1 MiB frame follow, then they reuse those two and allocate nothing', () => {
    // Given
    const pool = new SharedBuffers(16 * MIB);
    const first = [pool.take(300 * 1024), pool.take(MIB + 200)];
    const buffers = new Set(first.map((v) => v.buffer));
    for (const v of first) pool.give(v);

    // When: sizes that used to miss a smaller idle buffer
    const seen = new Set<ArrayBufferLike>();
    for (const size of [MIB + 4096, 12_000, 700 * 1024, MIB + 4096, 1, 900 * 1024]) {
      const a = pool.take(size);
      const b = pool.take(size);
      expect(a.length).toBe(size);
      seen.add(a.buffer);
      seen.add(b.buffer);
      pool.give(a);
      pool.give(b);
    }

    // Then
    expect([...seen].every((b) => buffers.has(b))).toBe(true);
    expect(pool.sizeFor(1)).toBe(pool.sizeFor(MIB + 4096));
  });

  it('Given a pool that may keep 2 MiB idle, when three 1 MiB bodies are given back, then the third is dropped (idle memory stays bounded)', () => {
    // Given
    const pool = new SharedBuffers(2 * MIB + 2 * 64 * 1024);
    const views = [pool.take(MIB), pool.take(MIB), pool.take(MIB)];

    // When
    for (const v of views) pool.give(v);

    // Then: two come back from the pool, the third take is a new buffer
    const again = [pool.take(MIB), pool.take(MIB), pool.take(MIB)].map((v) => v.buffer);
    const old = new Set(views.map((v) => v.buffer));
    expect(again.filter((b) => old.has(b))).toHaveLength(2);
  });
});
