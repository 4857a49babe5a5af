import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzePartition } from '../../../../server/src/imaging/filesystems/analyze-partition.ts';
import { CorruptFilesystemError } from '../../../../server/src/imaging/filesystems/filesystem-errors.ts';
import type { ByteRange, PartitionInfo, UsedMap } from '../../../../server/src/imaging/layout-types.ts';
import { PartitionTableError } from '../../../../server/src/imaging/partitions/partition-errors.ts';
import { readDiskLayout } from '../../../../server/src/imaging/partitions/read-layout.ts';
import { overlayDisk, patchesIn } from './support/overlay-disk.ts';
import { makeTempDir, requireTools, run, seededBytes } from './support/tools.ts';

const MiB = 1024 * 1024;
const RUNS = 100;
const tmp = makeTempDir();
afterAll(tmp.cleanup);

/** A filesystem image placed 1 MiB into a disk with 1 MiB after it, so stray reads show. */
interface FsCase {
  readonly disk: Uint8Array;
  readonly partition: PartitionInfo;
  readonly metadata: ByteRange[];
}

function embed(image: string, metadata: (fs: Buffer) => ByteRange[]): FsCase {
  const fs = readFileSync(image);
  const disk = new Uint8Array(fs.length + 2 * MiB);
  disk.set(fs, MiB);
  const partition = { number: 1, start: MiB, size: fs.length, typeId: 'test' };
  return {
    disk,
    partition,
    metadata: metadata(fs).map((r) => ({ offset: r.offset + MiB, length: r.length })),
  };
}

function mkImage(name: string, size: number, make: (path: string) => void): string {
  const path = join(tmp.dir, name);
  run('truncate', ['-s', String(size), path]);
  make(path);
  return path;
}

const cases = new Map<string, FsCase>();

beforeAll(() => {
  requireTools('mkntfs', 'ntfscp', 'mke2fs', 'mkfs.fat', 'mcopy', 'sfdisk', 'truncate');
  const tree = join(tmp.dir, 'tree');
  mkdirSync(tree);
  const file = join(tree, 'payload');
  writeFileSync(file, seededBytes(5, 300_000));
  const ntfs = mkImage('ntfs.img', 8 * MiB, (p) => {
    run('mkntfs', ['-F', '-Q', '-q', '-c', '1024', p]);
    run('ntfscp', ['-f', p, file, 'payload']);
  });
  cases.set(
    'ntfs',
    embed(ntfs, (fs) => {
      const cluster = fs.readUInt16LE(11) * fs[13]!;
      const mft = Number(fs.readBigUInt64LE(0x30)) * cluster;
      return [
        { offset: 0, length: 512 },
        { offset: mft, length: 8 * 1024 },
      ];
    }),
  );
  for (const [name, args] of [
    ['ext4', ['-t', 'ext4']],
    ['ext4-4k', ['-t', 'ext4', '-b', '4096', '-O', '^metadata_csum,uninit_bg']],
    ['ext2', ['-t', 'ext2']],
  ] as const) {
    const img = mkImage(`${name}.img`, 12 * MiB, (p) => run('mke2fs', ['-q', '-F', ...args, '-d', tree, p]));
    cases.set(
      name,
      embed(img, () => [
        { offset: 1024, length: 1024 },
        { offset: 2048, length: 8192 },
      ]),
    );
  }
  for (const [bits, size] of [
    [12, 2 * MiB],
    [16, 20 * MiB],
    [32, 40 * MiB],
  ] as const) {
    const img = mkImage(`fat${bits}.img`, size, (p) => {
      run('mkfs.fat', ['-F', String(bits), '-s', '1', p]);
      run('mcopy', ['-i', p, file, '::payload']);
    });
    cases.set(
      `fat${bits}`,
      embed(img, (fs) => [
        { offset: 0, length: 512 },
        { offset: fs.readUInt16LE(14) * 512, length: 4096 },
      ]),
    );
  }
}, 120_000);

/** Sorted, non-empty, inside [from, to); merged lists must also not touch, partitions may. */
function expectWithin(ranges: readonly ByteRange[], from: number, to: number, mayTouch = false): void {
  let prevEnd = -1;
  for (const r of ranges) {
    expect(r.length).toBeGreaterThan(0);
    expect(r.offset).toBeGreaterThanOrEqual(prevEnd + (mayTouch ? 0 : 1));
    expect(r.offset).toBeGreaterThanOrEqual(from);
    expect(r.offset + r.length).toBeLessThanOrEqual(to);
    prevEnd = r.offset + r.length;
  }
}

function checkMap(map: UsedMap, size: number, window: { offset: number; length: number }): void {
  expect(map.usedClusters).toBeLessThanOrEqual(map.totalClusters);
  expectWithin(map.usedRanges(), 0, size);
  const from = Math.min(window.offset, size);
  expectWithin(map.usedWithin(from, window.length), from, Math.min(size, from + window.length));
}

describe('filesystem parsers on corrupted metadata', () => {
  it.each(['ntfs', 'ext4', 'ext4-4k', 'ext2', 'fat12', 'fat16', 'fat32'])(
    'Given a %s volume with random bytes of its metadata overwritten, when analyzed, then a map inside the partition or a CorruptFilesystemError, and no read outside it',
    async (name) => {
      const c = cases.get(name)!;
      const clean = await analyzePartition(overlayDisk(c.disk, []), c.partition);
      expect(clean.fs).not.toBe('unknown');
      await fc.assert(
        fc.asyncProperty(
          patchesIn(c.metadata),
          fc.record({ offset: fc.nat(c.partition.size), length: fc.nat(4 * MiB) }),
          async (patches, window) => {
            const disk = overlayDisk(c.disk, patches);
            try {
              checkMap(await analyzePartition(disk, c.partition), c.partition.size, window);
            } catch (err) {
              if (!(err instanceof CorruptFilesystemError)) throw err;
            }
            for (const r of disk.reads) {
              expect(r.offset).toBeGreaterThanOrEqual(c.partition.start);
              expect(r.offset + r.length).toBeLessThanOrEqual(c.partition.start + c.partition.size);
            }
          },
        ),
        { numRuns: RUNS },
      );
    },
  );
});

describe('partition table parser on corrupted tables', () => {
  it.each([
    ['gpt', 'label: gpt\nstart=2048, size=8192, type=L\nsize=4096, type=S\nsize=2048, type=H\n'],
    [
      'mbr',
      'label: dos\nstart=2048, size=4096, type=83\nstart=6144, size=16000, type=5\nstart=8192, size=2048, type=83\nstart=12288, size=2048, type=82\n',
    ],
  ])(
    'Given a %s disk with random bytes of its tables overwritten, when read, then a consistent layout or a PartitionTableError',
    async (label, script) => {
      const image = mkImage(`${label}-table.img`, 16 * MiB, (p) => run('sfdisk', ['-q', p], script));
      const base = new Uint8Array(readFileSync(image));
      const clean = await readDiskLayout(overlayDisk(base, []));
      expect(clean.table).toBe(label);
      const regions = clean.preservedRanges.map((r) => ({
        offset: r.offset,
        length: Math.min(r.length, 34 * 512),
      }));
      await fc.assert(
        fc.asyncProperty(patchesIn(regions), async (patches) => {
          try {
            const layout = await readDiskLayout(overlayDisk(base, patches));
            expectWithin(layout.preservedRanges, 0, base.length);
            const parts = [...layout.partitions].sort((a, b) => a.start - b.start);
            expectWithin(
              parts.map((p) => ({ offset: p.start, length: p.size })),
              0,
              base.length,
              true,
            );
          } catch (err) {
            if (!(err instanceof PartitionTableError)) throw err;
          }
        }),
        { numRuns: RUNS * 2 },
      );
    },
  );
});
