import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countBits } from '../../../../server/src/imaging/filesystems/bitmap.ts';
import { BitmapUsedMap } from '../../../../server/src/imaging/filesystems/used-map.ts';
import type { ByteRange } from '../../../../server/src/imaging/layout-types.ts';

/** The reference: one boolean per byte, then runs of true. Slow, obviously right. */
function naiveRanges(used: boolean[], from: number, to: number): ByteRange[] {
  const out: ByteRange[] = [];
  let start = -1;
  for (let i = from; i <= to; i++) {
    const u = i < to && used[i] === true;
    if (u && start < 0) start = i;
    if (!u && start >= 0) {
      out.push({ offset: start, length: i - start });
      start = -1;
    }
  }
  return out;
}

const mapInput = fc
  .record({
    clusterSize: fc.constantFrom(1, 2, 8, 512),
    clusters: fc.nat(80),
    firstClusterOffset: fc.nat(1000),
    slack: fc.nat(3000),
    bits: fc.uint8Array({ minLength: 11, maxLength: 11 }),
    extras: fc.array(fc.record({ offset: fc.nat(5000), length: fc.nat(700) }), { maxLength: 4 }),
  })
  .map((r) => ({ ...r, partitionSize: r.firstClusterOffset + r.clusters * r.clusterSize + r.slack - 1500 }))
  .filter((r) => r.partitionSize > 0);

describe('BitmapUsedMap', () => {
  it('Given any bitmap, offset and extra ranges, when asked for used ranges or a window, then it equals a byte-by-byte reference', () => {
    fc.assert(
      fc.property(mapInput, fc.integer({ min: -100, max: 6000 }), fc.nat(6000), (input, wOff, wLen) => {
        const { clusterSize, clusters, firstClusterOffset, partitionSize, bits, extras } = input;
        const map = new BitmapUsedMap({
          fs: 'ntfs',
          partitionSize,
          clusterSize,
          totalClusters: clusters,
          bitmap: bits,
          firstClusterOffset,
          extraRanges: extras,
        });
        const used: boolean[] = new Array(partitionSize).fill(false);
        for (let c = 0; c < clusters; c++) {
          if (((bits[c >> 3]! >> (c & 7)) & 1) === 0) continue;
          for (let b = 0; b < clusterSize; b++) used[firstClusterOffset + c * clusterSize + b] = true;
        }
        for (const e of extras) for (let b = e.offset; b < e.offset + e.length; b++) used[b] = true;
        used.length = partitionSize;
        expect(map.usedClusters).toBe(countBits(bits, clusters));
        expect(map.usedRanges()).toEqual(naiveRanges(used, 0, partitionSize));
        const from = Math.max(0, wOff);
        const to = Math.min(partitionSize, wOff + wLen);
        expect(map.usedWithin(wOff, wLen)).toEqual(to > from ? naiveRanges(used, from, to) : []);
      }),
      { numRuns: 300 },
    );
  });
});
