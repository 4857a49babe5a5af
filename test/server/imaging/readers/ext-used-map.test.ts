import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ByteRange } from '../../../../server/src/imaging/layout-types.ts';
import { normalizeRanges } from '../../../../server/src/imaging/partitions/byte-ranges.ts';
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

let tree = '';
beforeAll(() => {
  requireTools('mke2fs', 'dumpe2fs', 'partclone.extfs', 'truncate');
  tree = join(tmp.dir, 'tree');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  for (let i = 0; i < 6; i++)
    writeFileSync(join(tree, i % 2 ? 'sub' : '', `f${i}`), seededBytes(i + 7, 300_000 * (i + 1)));
});

interface Dumpe2fs {
  readonly blockSize: number;
  readonly blockCount: number;
  readonly freeBlocks: number;
  /** Used blocks as byte ranges: the complement of every group's "Free blocks:" list. */
  readonly used: ByteRange[];
}

function dumpe2fs(image: string): Dumpe2fs {
  const out = run('dumpe2fs', [image]);
  const field = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(out)?.[1]);
  const blockSize = field('Block size');
  const blockCount = field('Block count');
  const free: ByteRange[] = [];
  for (const m of out.matchAll(/^ {2}Free blocks: (.*)$/gm)) {
    for (const part of m[1]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const [a, b = a] = part.split('-').map(Number) as [number, number?];
      free.push({ offset: a * blockSize, length: (b - a + 1) * blockSize });
    }
  }
  const used: ByteRange[] = [];
  let at = 0;
  for (const r of normalizeRanges(free)) {
    if (r.offset > at) used.push({ offset: at, length: r.offset - at });
    at = r.offset + r.length;
  }
  if (at < blockCount * blockSize) used.push({ offset: at, length: blockCount * blockSize - at });
  return { blockSize, blockCount, freeBlocks: field('Free blocks'), used };
}

const variants = [
  { name: 'ext4 1 KiB blocks (flex_bg, uninit groups)', args: ['-t', 'ext4'], size: 64 * MiB, fs: 'ext4' },
  { name: 'ext4 4 KiB blocks', args: ['-t', 'ext4', '-b', '4096'], size: 200 * MiB, fs: 'ext4' },
  { name: 'ext4 without flex_bg', args: ['-t', 'ext4', '-O', '^flex_bg'], size: 64 * MiB, fs: 'ext4' },
  {
    name: 'ext4 32-bit descriptors',
    args: ['-t', 'ext4', '-O', '^64bit', '-b', '4096'],
    size: 160 * MiB,
    fs: 'ext4',
  },
  {
    name: 'ext4 uninit_bg without metadata_csum',
    args: ['-t', 'ext4', '-O', '^metadata_csum,uninit_bg', '-b', '4096'],
    size: 160 * MiB,
    fs: 'ext4',
  },
  { name: 'ext4 meta_bg', args: ['-t', 'ext4', '-O', 'meta_bg,^resize_inode'], size: 64 * MiB, fs: 'ext4' },
  { name: 'ext4 sparse_super2', args: ['-t', 'ext4', '-O', 'sparse_super2'], size: 64 * MiB, fs: 'ext4' },
  { name: 'ext3', args: ['-t', 'ext3'], size: 64 * MiB, fs: 'ext3' },
  { name: 'ext2', args: ['-t', 'ext2'], size: 64 * MiB, fs: 'ext2' },
  {
    name: 'ext2 without sparse_super',
    args: ['-t', 'ext2', '-O', '^sparse_super,^resize_inode'],
    size: 32 * MiB,
    fs: 'ext2',
  },
] as const;

describe('ext2/3/4 used map', () => {
  it.each(variants)(
    'Given $name made by mke2fs -d, when analyzed, then used blocks equal dumpe2fs and partclone',
    async ({ name, args, size, fs }) => {
      const image = join(tmp.dir, `${name.replace(/\W+/g, '-')}.img`);
      run('truncate', ['-s', String(size), image]);
      run('mke2fs', ['-q', '-F', ...args, '-d', tree, image]);
      const map = await analyzeImage(image);
      const expected = dumpe2fs(image);
      expect(map.fs).toBe(fs);
      expect(map.clusterSize).toBe(expected.blockSize);
      expect(map.totalClusters).toBe(expected.blockCount);
      expect(map.usedClusters).toBe(expected.blockCount - expected.freeBlocks);
      // Block by block: the complement of dumpe2fs's free lists (uninit groups computed by libext2fs).
      expect(map.usedRanges()).toEqual(expected.used);
      // partclone.extfs copies the same blocks, block 0 (boot block and superblock) included.
      expect(map.usedRanges()).toEqual(partcloneUsedRanges('partclone.extfs', image, tmp.dir));
    },
  );

  it('Given a 1 KiB-block ext4, when analyzed, then the boot block before the superblock counts as used', async () => {
    const image = join(tmp.dir, 'boot-block.img');
    run('truncate', ['-s', String(16 * MiB), image]);
    run('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '1024', image]);
    const map = await analyzeImage(image);
    expect(map.usedWithin(0, 2048)).toEqual([{ offset: 0, length: 2048 }]);
  });

  it('Given an ext4 whose journal needs recovery, when analyzed, then every byte is kept and the reason is given', async () => {
    requireTools('debugfs');
    const image = join(tmp.dir, 'needs-recovery.img');
    run('truncate', ['-s', String(16 * MiB), image]);
    run('mke2fs', ['-q', '-F', '-t', 'ext4', image]);
    run('debugfs', ['-w', '-R', 'feature needs_recovery', image]);
    expect(run('dumpe2fs', ['-h', image])).toMatch(/needs_recovery/);
    const map = await analyzeImage(image);
    expect(map.fs).toBe('ext4');
    expect(map.usedRanges()).toEqual([{ offset: 0, length: 16 * MiB }]);
    expect(map.fallbackReason).toMatch(/journal/);
  });
});
