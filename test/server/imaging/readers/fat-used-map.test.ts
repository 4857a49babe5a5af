import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  analyzeImage,
  makeTempDir,
  partcloneUsedRanges,
  requireTools,
  run,
  seededBytes,
} from './support/tools.ts';

const MiB = 1024 * 1024;
const tmp = makeTempDir();
afterAll(tmp.cleanup);
beforeAll(() => requireTools('mkfs.fat', 'mcopy', 'mmd', 'mdel', 'fsck.fat', 'partclone.fat', 'truncate'));

/** `fsck.fat -n -v` ends with "N files, USED/TOTAL clusters" and gives the data region offset. */
function fsckFat(image: string) {
  const out = run('fsck.fat', ['-n', '-v', image]);
  const m = / (\d+)\/(\d+) clusters$/m.exec(out);
  const clusterSize = Number(/^\s*(\d+) bytes per cluster/m.exec(out)?.[1]);
  const dataStart = Number(/Data area starts at byte (\d+)/.exec(out)?.[1]);
  return { used: Number(m?.[1]), total: Number(m?.[2]), clusterSize, dataStart };
}

function makeFat(
  name: string,
  bits: 12 | 16 | 32,
  size: number,
  clusterSectors: number,
  files: number,
): string {
  const image = join(tmp.dir, `${name}.img`);
  run('truncate', ['-s', String(size), image]);
  run('mkfs.fat', ['-F', String(bits), '-s', String(clusterSectors), image]);
  run('mmd', ['-i', image, '::dir']);
  for (let i = 0; i < files; i++) {
    const src = join(tmp.dir, `${name}-f${i}`);
    writeFileSync(src, seededBytes(i + 3, 40_000 * (i + 1) + 17));
    run('mcopy', ['-i', image, src, i % 2 ? `::dir/f${i}` : `::f${i}`]);
  }
  return image;
}

describe('FAT used map', () => {
  it.each([
    { bits: 12, size: 4 * MiB, clusterSectors: 4, fs: 'fat12' },
    { bits: 16, size: 32 * MiB, clusterSectors: 4, fs: 'fat16' },
    { bits: 32, size: 64 * MiB, clusterSectors: 1, fs: 'fat32' },
  ] as const)(
    'Given a FAT$bits volume with files, when analyzed, then used clusters equal fsck.fat and partclone',
    async ({ bits, size, clusterSectors, fs }) => {
      const image = makeFat(`fat${bits}`, bits, size, clusterSectors, 5);
      const map = await analyzeImage(image);
      const expected = fsckFat(image);
      expect(map.fs).toBe(fs);
      expect(map.clusterSize).toBe(expected.clusterSize);
      expect(map.totalClusters).toBe(expected.total);
      // usedClusters counts data clusters only, as fsck.fat does; the reserved area, FATs and
      // FAT12/16 root directory are in usedRanges but are not clusters.
      expect(map.usedClusters).toBe(expected.used);
      expect(map.usedWithin(0, expected.dataStart)).toEqual([{ offset: 0, length: expected.dataStart }]);
      // A fresh volume allocates clusters in order from cluster 2: metadata plus the first USED clusters.
      expect(map.usedRanges()).toEqual([
        { offset: 0, length: expected.dataStart + expected.used * expected.clusterSize },
      ]);
      // partclone 0.3.23 misreads FAT12 (it maps some used clusters as free and free ones as used,
      // found by locating the files' bytes in the image), so it is a reference for FAT16/32 only.
      if (bits !== 12) expect(map.usedRanges()).toEqual(partcloneUsedRanges('partclone.fat', image, tmp.dir));
    },
  );

  it.each([12, 16, 32] as const)(
    'Given a FAT%s volume where files were deleted between others, when analyzed, then the holes are free and every remaining file lies in used ranges',
    async (bits) => {
      const size = { 12: 2 * MiB, 16: 32 * MiB, 32: 64 * MiB }[bits];
      const image = makeFat(`holes${bits}`, bits, size, 1, 6);
      run('mdel', ['-i', image, '::f2', '::f4']);
      const map = await analyzeImage(image);
      const expected = fsckFat(image);
      expect(map.usedClusters).toBe(expected.used);
      expect(map.usedRanges().length).toBeGreaterThan(1);
      const disk = readFileSync(image);
      for (const i of [0, 1, 3, 5]) {
        // Files are written cluster by cluster from a fresh volume, so each one is contiguous.
        const content = seededBytes(i + 3, 40_000 * (i + 1) + 17);
        const at = disk.indexOf(content.subarray(0, 4096));
        expect(at, `file ${i}`).toBeGreaterThanOrEqual(expected.dataStart);
        expect(map.usedWithin(at, content.length)).toEqual([{ offset: at, length: content.length }]);
      }
      for (const i of [2, 4]) {
        const content = seededBytes(i + 3, 40_000 * (i + 1) + 17);
        const at = disk.indexOf(content.subarray(0, 4096));
        // The deleted file's bytes remain on disk, but none of its clusters is used any more.
        expect(at, `deleted file ${i}`).toBeGreaterThanOrEqual(expected.dataStart);
        const clusterStart = at - ((at - expected.dataStart) % expected.clusterSize);
        expect(
          map.usedWithin(clusterStart, content.length - (at - clusterStart) - expected.clusterSize),
        ).toEqual([]);
      }
    },
  );
});
