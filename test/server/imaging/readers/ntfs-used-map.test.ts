import { closeSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsedMap } from '../../../../server/src/imaging/layout-types.ts';
import {
  analyzeImage,
  makeTempDir,
  partcloneUsedRanges,
  requireTools,
  run,
  seededBytes,
  totalLength,
} from './support/tools.ts';

const MiB = 1024 * 1024;
const tmp = makeTempDir();
afterAll(tmp.cleanup);
beforeAll(() => requireTools('mkntfs', 'ntfscp', 'ntfsinfo', 'partclone.ntfs', 'truncate'));

/** Used clusters as ntfsinfo counts them: volume clusters minus free clusters. */
function ntfsinfoUsedClusters(image: string): { used: number; clusterSize: number } {
  const out = run('ntfsinfo', ['-m', image]);
  const num = (re: RegExp) => Number(re.exec(out)?.[1]);
  const total = num(/Volume Size in Clusters:\s*(\d+)/);
  const free = num(/Free Clusters:\s*(\d+)/);
  return { used: total - free, clusterSize: num(/Cluster Size:\s*(\d+)/) };
}

function makeNtfs(name: string, sizeBytes: number, clusterSize: number, files: number): string {
  const image = join(tmp.dir, `${name}.img`);
  run('truncate', ['-s', String(sizeBytes), image]);
  run('mkntfs', ['-F', '-Q', '-q', '-c', String(clusterSize), image]);
  for (let i = 0; i < files; i++) {
    const src = join(tmp.dir, `${name}-file${i}`);
    writeFileSync(src, seededBytes(i + 1, (i + 1) * 700_000 + 1234));
    run('ntfscp', ['-f', image, src, `file${i}.bin`]);
  }
  return image;
}

function clusterArea(map: UsedMap) {
  return map.usedWithin(0, map.totalClusters * map.clusterSize);
}

describe('NTFS used map', () => {
  it.each([
    { clusterSize: 4096, size: 64 * MiB },
    { clusterSize: 512, size: 32 * MiB },
    { clusterSize: 65536, size: 128 * MiB },
  ])(
    'Given an NTFS with $clusterSize-byte clusters and files copied in, when analyzed, then used clusters equal ntfsinfo and partclone',
    async ({ clusterSize, size }) => {
      const image = makeNtfs(`ntfs-${clusterSize}`, size, clusterSize, 3);
      const map = await analyzeImage(image);
      const expected = ntfsinfoUsedClusters(image);
      expect(map.fs).toBe('ntfs');
      expect(map.clusterSize).toBe(expected.clusterSize);
      expect(map.usedClusters).toBe(expected.used);
      // partclone copies exactly the clusters $Bitmap marks; its map ends at the last whole cluster.
      expect(clusterArea(map)).toEqual(partcloneUsedRanges('partclone.ntfs', image, tmp.dir));
      expect(totalLength(clusterArea(map))).toBe(expected.used * clusterSize);
    },
  );

  it('Given an NTFS, when analyzed, then the backup boot sector in the last sector is used as well', async () => {
    const image = makeNtfs('ntfs-backup', 16 * MiB, 4096, 0);
    const map = await analyzeImage(image);
    const last = map.usedWithin(16 * MiB - 512, 512);
    expect(last).toEqual([{ offset: 16 * MiB - 512, length: 512 }]);
    expect(map.usedRanges().at(-1)).toEqual({ offset: 16 * MiB - 512, length: 512 });
  });

  it('Given a 4 GiB NTFS with 4 KiB clusters, when analyzed, then the map is ready in well under a second', async () => {
    const image = makeNtfs('ntfs-4g', 4 * 1024 * MiB, 4096, 1);
    const started = performance.now();
    const map = await analyzeImage(image);
    const ranges = map.usedRanges();
    const elapsed = performance.now() - started;
    expect(map.totalClusters).toBe(1024 * 1024 - 1);
    expect(map.usedClusters).toBe(ntfsinfoUsedClusters(image).used);
    expect(ranges.length).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(1000);
  });

  it('Given an NTFS marked dirty (as ntfsinfo confirms), when analyzed, then every byte is kept and the reason is given', async () => {
    const image = makeNtfs('ntfs-dirty', 16 * MiB, 4096, 1);
    setVolumeDirty(image);
    expect(run('ntfsinfo', ['--force', '-m', image])).toMatch(/Volume Flags: 0x0001/);
    const map = await analyzeImage(image);
    expect(map.fs).toBe('ntfs');
    expect(map.usedRanges()).toEqual([{ offset: 0, length: 16 * MiB }]);
    expect(map.fallbackReason).toMatch(/dirty/);
  });
});

/**
 * Sets VOLUME_IS_DIRTY in $Volume's $VOLUME_INFORMATION (MFT record 3), as a crash would leave it,
 * in $MFT and in $MFTMirr alike (ntfs-3g refuses a volume whose copies differ).
 */
function setVolumeDirty(image: string): void {
  const fd = openSync(image, 'r+');
  try {
    const boot = Buffer.alloc(512);
    readSync(fd, boot, 0, 512, 0);
    const cluster = boot.readUInt16LE(11) * boot[13]!;
    for (const lcnField of [0x30, 0x38]) {
      const recordAt = Number(boot.readBigUInt64LE(lcnField)) * cluster + 3 * 1024;
      const record = Buffer.alloc(1024);
      readSync(fd, record, 0, 1024, recordAt);
      let at = record.readUInt16LE(0x14);
      while (record.readUInt32LE(at) !== 0x70) at += record.readUInt32LE(at + 4);
      const flagsAt = at + record.readUInt16LE(at + 0x14) + 10;
      writeSync(fd, Uint8Array.from([record[flagsAt]! | 1]), 0, 1, recordAt + flagsAt);
    }
  } finally {
    closeSync(fd);
  }
}
