/** Shared helpers of the engine tests: the small fixture, temp dirs, disks as files. */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteRange, FsKind, UsedMap } from '../../../../../server/src/imaging/layout-types.ts';

export const SMALL_DIR = '/root/.cache/brume-fixtures/small';
export const SMALL_DISK = join(SMALL_DIR, 'disk.img');

/** Builds (or reuses) the small fixture, serialized with every other test that needs it. */
export function smallFixture(): string {
  if (!existsSync(join(SMALL_DIR, 'info.txt'))) {
    execFileSync('flock', [
      '/tmp/brume-fixture.lock',
      '/work/shared/fixtures/build-disk.sh',
      '--profile',
      'small',
      '--out',
      SMALL_DIR,
    ]);
  }
  return SMALL_DISK;
}

/** `disk-files.sh` output for a disk: fsck of every partition, then sha256 of every file. */
export function diskFiles(disk: string): string {
  return execFileSync('bash', ['/work/shared/fixtures/disk-files.sh', disk], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
}

export function tempDir(prefix = 'brume-engine-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A blank (sparse) file of `size` bytes. */
export function blankDisk(path: string, size: number): string {
  writeFileSync(path, '');
  truncateSync(path, size);
  return path;
}

export function touch(path: string): void {
  closeSync(openSync(path, 'a'));
}

/** A UsedMap over explicit partition-relative ranges (sorted, merged by the caller). */
export function rangesUsedMap(fs: FsKind, size: number, clusterSize: number, ranges: ByteRange[]): UsedMap {
  return {
    fs,
    clusterSize,
    totalClusters: Math.ceil(size / clusterSize),
    usedClusters: Math.ceil(ranges.reduce((s, r) => s + r.length, 0) / clusterSize),
    usedRanges: () => ranges.map((r) => ({ ...r })),
    usedWithin(offset, length) {
      const out: ByteRange[] = [];
      for (const r of ranges) {
        const from = Math.max(offset, r.offset);
        const to = Math.min(offset + length, r.offset + r.length);
        if (to > from) out.push({ offset: from, length: to - from });
      }
      return out;
    },
  };
}

/** The survey of a disk without a partition table whose content is unknown: every byte used. */
export function wholeDiskSurvey(size: number) {
  const partition = { number: 0, start: 0, size, typeId: 'none' };
  return {
    layout: {
      table: 'none' as const,
      diskSize: size,
      sectorSize: 512,
      partitions: [partition],
      preservedRanges: [],
    },
    parts: [{ partition, usedMap: rangesUsedMap('unknown', size, size, [{ offset: 0, length: size }]) }],
  };
}
