import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage, makeTempDir, requireTools, run, seededBytes } from './support/tools.ts';

const MiB = 1024 * 1024;
const tmp = makeTempDir();
afterAll(tmp.cleanup);
beforeAll(() => requireTools('mkswap', 'truncate'));

describe('swap and unknown content', () => {
  it('Given a swap area made by mkswap, when analyzed, then only its 4 KiB header page is used', async () => {
    const image = join(tmp.dir, 'swap.img');
    run('truncate', ['-s', String(16 * MiB), image]);
    run('mkswap', [image]);
    const map = await analyzeImage(image);
    expect(map.fs).toBe('swap');
    expect(map.usedRanges()).toEqual([{ offset: 0, length: 4096 }]);
    expect(map.usedClusters).toBe(1);
  });

  it('Given random bytes, when analyzed, then the filesystem is unknown and every byte is used', async () => {
    const image = join(tmp.dir, 'random.img');
    writeFileSync(image, seededBytes(42, 3 * MiB + 512));
    const map = await analyzeImage(image);
    expect(map.fs).toBe('unknown');
    expect(map.usedRanges()).toEqual([{ offset: 0, length: 3 * MiB + 512 }]);
    expect(map.usedWithin(MiB, 10)).toEqual([{ offset: MiB, length: 10 }]);
  });

  it('Given a LUKS header, when analyzed, then the content is unknown and fully used', async () => {
    const image = join(tmp.dir, 'luks.img');
    const bytes = seededBytes(7, 2 * MiB);
    bytes.set([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe, 0x00, 0x02], 0);
    writeFileSync(image, bytes);
    const map = await analyzeImage(image);
    expect(map.fs).toBe('unknown');
    expect(map.usedRanges()).toEqual([{ offset: 0, length: 2 * MiB }]);
  });

  it('Given a BitLocker volume (FAT-like boot sector with -FVE-FS-), when analyzed, then it is not read as FAT', async () => {
    requireTools('mkfs.fat');
    const image = join(tmp.dir, 'bitlocker.img');
    run('truncate', ['-s', String(32 * MiB), image]);
    run('mkfs.fat', ['-F', '16', image]);
    const bytes = readFileSync(image);
    bytes.write('-FVE-FS-', 3, 'latin1');
    writeFileSync(image, bytes);
    const map = await analyzeImage(image);
    expect(map.fs).toBe('unknown');
    expect(map.usedRanges()).toEqual([{ offset: 0, length: 32 * MiB }]);
  });
});
