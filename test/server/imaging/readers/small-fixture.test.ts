import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDisk } from '../../../../server/src/imaging/disk/open-disk.ts';
import { analyzePartition } from '../../../../server/src/imaging/filesystems/analyze-partition.ts';
import type { DiskLayout, UsedMap } from '../../../../server/src/imaging/layout-types.ts';
import { readDiskLayout } from '../../../../server/src/imaging/partitions/read-layout.ts';
import { requireTools, run, totalLength } from './support/tools.ts';

const FIXTURE_DIR = '/root/.cache/brume-fixtures/small';
const BUILD_SCRIPT = '/work/shared/fixtures/build-disk.sh';

let info: Record<string, string> = {};
let layout: DiskLayout;
const maps = new Map<number, UsedMap>();
const fatBoot = Buffer.alloc(512);

beforeAll(async () => {
  requireTools('flock', 'bash');
  if (!existsSync(BUILD_SCRIPT)) throw new Error(`fixture builder missing: ${BUILD_SCRIPT}`);
  // Cached: returns at once when the fixture is complete; the lock serializes concurrent builders.
  run('flock', ['/tmp/brume-fixture.lock', 'bash', BUILD_SCRIPT, '--profile', 'small', '--out', FIXTURE_DIR]);
  info = Object.fromEntries(
    readFileSync(`${FIXTURE_DIR}/info.txt`, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const disk = await openDisk(`${FIXTURE_DIR}/disk.img`);
  try {
    layout = await readDiskLayout(disk);
    for (const p of layout.partitions) maps.set(p.number, await analyzePartition(disk, p));
    await disk.readAt(fatBoot, layout.partitions[0]!.start);
  } finally {
    await disk.close();
  }
}, 180_000);

describe('the shared small fixture (512 MiB GPT: FAT32 ESP, NTFS, ext4)', () => {
  it('Given the fixture, when its table is read, then 3 GPT partitions start and end where info.txt says', () => {
    expect(layout.table).toBe('gpt');
    expect(layout.diskSize).toBe(Number(info.disk_bytes));
    expect(layout.partitions.map((p) => [p.number, p.start, p.size])).toEqual(
      [1, 2, 3].map((n) => [n, Number(info[`p${n}_start_bytes`]), Number(info[`p${n}_size_bytes`])]),
    );
  });

  it('Given the fixture, when each partition is analyzed, then the filesystems are FAT32, NTFS and ext4', () => {
    expect([1, 2, 3].map((n) => maps.get(n)?.fs)).toEqual(['fat32', 'ntfs', 'ext4']);
    expect(info.p1_fs).toBe('vfat');
  });

  it('Given the fixture, when analyzed, then used clusters times cluster size equal pN_used_bytes exactly', () => {
    for (const n of [1, 2, 3]) {
      const map = maps.get(n)!;
      expect(map.usedClusters * map.clusterSize, `p${n}`).toBe(Number(info[`p${n}_used_bytes`]));
    }
  });

  it('Given the fixture, when analyzed, then used ranges add only the defined metadata to pN_used_bytes', () => {
    const [fat, ntfs, ext] = [1, 2, 3].map((n) => maps.get(n)!);
    // FAT: fsck.fat counts data clusters; the reserved sectors and both FATs precede them.
    const fatMeta = (fatBoot.readUInt16LE(14) + fatBoot[16]! * fatBoot.readUInt32LE(36)) * 512;
    expect(totalLength(fat!.usedRanges())).toBe(Number(info.p1_used_bytes) + fatMeta);
    // NTFS: the backup boot sector in the partition's last sector lies past the last cluster.
    expect(totalLength(ntfs!.usedRanges())).toBe(Number(info.p2_used_bytes) + 512);
    // ext4: dumpe2fs's count already includes block 0.
    expect(totalLength(ext!.usedRanges())).toBe(Number(info.p3_used_bytes));
  });
});
