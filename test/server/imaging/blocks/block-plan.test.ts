import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAllZero, zeroUnused } from '../../../../server/src/imaging/blocks/block-content.ts';
import {
  InvalidBlockSizeError,
  planBlocks,
  planPartitionBlocks,
} from '../../../../server/src/imaging/blocks/block-plan.ts';
import type { ByteRange, PartitionInfo } from '../../../../server/src/imaging/layout-types.ts';
import { rangesUsedMap } from '../pipeline/support/engine-fixtures.ts';

const KiB = 1024;

/** Sorted, disjoint, non-empty ranges inside [0, size). */
const usedRanges = (size: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max: size - 1 }), { maxLength: 12 }).map((points) => {
    const sorted = [...points].sort((a, b) => a - b);
    const ranges: ByteRange[] = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) {
      const a = sorted[i] as number;
      const b = sorted[i + 1] as number;
      if (b > a) ranges.push({ offset: a, length: b - a });
    }
    return ranges;
  });

const scenario = fc
  .record({
    blockKiB: fc.constantFrom(64, 128, 256, 1024),
    startSectors: fc.integer({ min: 0, max: 100_000 }),
    size: fc.integer({ min: 1, max: 3 * 1024 * KiB }),
  })
  .chain((s) => fc.record({ s: fc.constant(s), used: usedRanges(s.size) }));

function partition(start: number, size: number, number = 1): PartitionInfo {
  return { number, start, size, typeId: '0x83' };
}

describe('block planning (property)', () => {
  it('Given any partition and used map, then blocks are aligned to the partition, clipped, disjoint, ordered and cover every used byte', () => {
    fc.assert(
      fc.property(scenario, ({ s, used }) => {
        const blockSize = s.blockKiB * KiB;
        const part = partition(s.startSectors * 512, s.size);
        const blocks = [...planPartitionBlocks(part, rangesUsedMap('ext4', s.size, 4096, used), blockSize)];
        let end = part.start;
        for (const b of blocks) {
          expect((b.offset - part.start) % blockSize).toBe(0);
          expect(b.offset).toBeGreaterThanOrEqual(end);
          expect(b.length).toBeGreaterThan(0);
          expect(b.length).toBeLessThanOrEqual(blockSize);
          expect(b.offset + b.length).toBeLessThanOrEqual(part.start + part.size);
          expect(b.used.length).toBeGreaterThan(0);
          for (const u of b.used) expect(u.offset + u.length).toBeLessThanOrEqual(b.length);
          end = b.offset + b.length;
        }
        // Every used byte lies in exactly one block's used ranges.
        const covered = blocks.flatMap((b) =>
          b.used.map((u) => ({ offset: b.offset - part.start + u.offset, length: u.length })),
        );
        const total = (rs: ByteRange[]) => rs.reduce((a, r) => a + r.length, 0);
        expect(total(covered)).toBe(total(used));
        for (const r of used) {
          for (const p of [r.offset, r.offset + r.length - 1]) {
            expect(covered.some((c) => p >= c.offset && p < c.offset + c.length)).toBe(true);
          }
        }
        // A block exists only where something is used.
        const slots = new Set(
          used.flatMap((r) => [
            Math.floor(r.offset / blockSize),
            Math.floor((r.offset + r.length - 1) / blockSize),
          ]),
        );
        for (const slot of slots)
          expect(blocks.some((b) => b.offset - part.start === slot * blockSize)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('Given two partitions, when planned together, then blocks come in disk order and carry their partition number', () => {
    const a = partition(10 * 1024 * KiB, 512 * KiB, 2);
    const b = partition(1024 * KiB, 300 * KiB, 1);
    const plan = planBlocks(
      [
        { partition: a, usedMap: rangesUsedMap('ntfs', a.size, 4096, [{ offset: 0, length: a.size }]) },
        { partition: b, usedMap: rangesUsedMap('fat32', b.size, 512, [{ offset: 100 * KiB, length: 1 }]) },
      ],
      256 * KiB,
    );
    expect(plan.map((p) => [p.partition, p.offset, p.length])).toEqual([
      [1, 1024 * KiB, 256 * KiB],
      [2, 10 * 1024 * KiB, 256 * KiB],
      [2, 10 * 1024 * KiB + 256 * KiB, 256 * KiB],
    ]);
  });

  it('Given a block size that is not a power of two or out of range, then planning refuses it', () => {
    const p = partition(0, 1024 * KiB);
    for (const bad of [0, 3 * KiB * 1024, 1024, 128 * 1024 * KiB]) {
      expect(() => [...planPartitionBlocks(p, rangesUsedMap('ext4', p.size, 4096, []), bad)]).toThrow(
        InvalidBlockSizeError,
      );
    }
  });
});

describe('block content (property)', () => {
  it('Given random bytes and used ranges, then zeroUnused keeps exactly the used bytes and zeroes the rest', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 2048 })
          .chain((n) =>
            fc.record({ bytes: fc.uint8Array({ minLength: n, maxLength: n }), used: usedRanges(n) }),
          ),
        ({ bytes, used }) => {
          const buf = bytes.slice();
          zeroUnused(buf, buf.length, used);
          const expected = new Uint8Array(bytes.length);
          for (const r of used) expected.set(bytes.subarray(r.offset, r.offset + r.length), r.offset);
          expect(Buffer.from(buf).equals(expected)).toBe(true);
          expect(isAllZero(buf)).toBe(buf.every((x) => x === 0));
        },
      ),
      { numRuns: 200 },
    );
  });
});
