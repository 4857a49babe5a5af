import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CaptureResult,
  captureDisk,
  collectGarbage,
  deployImage,
  type LocalImageStore,
  openDisk,
  openLocalStore,
  readDiskLayout,
  referencedHashes,
} from '../../../../server/src/imaging/index.ts';
import { blankDisk, diskFiles, SMALL_DIR, smallFixture, tempDir } from './support/engine-fixtures.ts';

const tmp = tempDir('brume-roundtrip-');
let store: LocalImageStore;
let first: CaptureResult;
let diskSize = 0;

async function capture(path: string, name: string, s = store): Promise<CaptureResult> {
  const disk = await openDisk(path);
  try {
    return await captureDisk({ disk, store: s, name, workers: 2 });
  } finally {
    await disk.close();
  }
}

async function deployTo(path: string, result: CaptureResult, verify = false) {
  const disk = await openDisk(path, { write: true });
  try {
    return await deployImage({ store: store.chunks, manifest: result.manifest, disk, verify, workers: 2 });
  } finally {
    await disk.close();
  }
}

beforeAll(async () => {
  const source = smallFixture();
  store = openLocalStore(join(tmp.dir, 'store'));
  first = await capture(source, 'small');
  diskSize = first.manifest.disk.size;
});
afterAll(tmp.cleanup);

describe('capture → deploy round trip on the small fixture (FAT32 + NTFS + ext4, GPT)', () => {
  it('Given the fixture captured, when deployed to a blank file of the same size, then every filesystem checks clean and every file reads back identical', async () => {
    expect(first.version).toBe(1);
    expect(first.manifest.partitions.map((p) => p.fs)).toEqual(['fat32', 'ntfs', 'ext4']);
    // Used-only capture: far less than the 512 MiB disk is read into blocks.
    expect(first.manifest.totals.blockBytes).toBeLessThan(diskSize * 0.6);
    const target = blankDisk(join(tmp.dir, 'deployed.img'), diskSize);
    const stats = await deployTo(target, first, true);
    expect(stats.blocksVerified).toBe(first.manifest.blocks.length);
    expect(diskFiles(target)).toBe(readFileSync(join(SMALL_DIR, 'files.sha256'), 'utf8'));

    // Then a capture of the deployed disk yields the same blocks and hashes.
    const again = await capture(target, 'redeployed', openLocalStore(join(tmp.dir, 'store2')));
    expect(again.manifest.blocks).toEqual(first.manifest.blocks);
  });

  it('Given a target larger than the source, when deployed, then the GPT backup moves to the new end and the table reads clean', async () => {
    const target = blankDisk(join(tmp.dir, 'larger.img'), diskSize + 64 * 1024 * 1024);
    await deployTo(target, first);
    const disk = await openDisk(target);
    try {
      const layout = await readDiskLayout(disk);
      expect(layout.table).toBe('gpt');
      expect(layout.partitions.map((p) => [p.start, p.size])).toEqual(
        first.manifest.partitions.map((p) => [p.start, p.size]),
      );
      expect(layout.preservedRanges.at(-1)?.offset ?? 0).toBeGreaterThan(diskSize);
    } finally {
      await disk.close();
    }
    expect(diskFiles(target)).toBe(readFileSync(join(SMALL_DIR, 'files.sha256'), 'utf8'));
  });

  it('Given the same disk captured again into the same store, then it stores ~0 new bytes and both versions share every chunk', async () => {
    const second = await capture(join(SMALL_DIR, 'disk.img'), 'small');
    expect(second.version).toBe(2);
    expect(second.stats.bytesNew).toBeLessThan(first.stats.bytesNew * 0.01);
    expect(second.stats.blocksUploaded).toBe(0);
    const other = await capture(join(SMALL_DIR, 'disk.img'), 'small-copy');
    const a = referencedHashes(first.manifest);
    const b = referencedHashes(other.manifest);
    expect([...b].filter((h) => a.has(h)).length).toBe(a.size);
    expect(other.stats.bytesNew).toBe(0);
  });

  it('Given an orphan chunk older than the grace period, when GC runs, then the orphan goes and every referenced chunk stays', async () => {
    const orphan = await store.chunks.put(Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 255));
    await store.chunks.flush();
    const young = await collectGarbage({
      chunks: store.chunks,
      manifests: store.manifests,
      graceMs: 3600_000,
    });
    expect(young.removed).toBe(0);
    expect(young.keptYoung).toBe(1);
    const gc = await collectGarbage({
      chunks: store.chunks,
      manifests: store.manifests,
      graceMs: 3600_000,
      now: Date.now() + 7200_000,
    });
    expect(gc.removed).toBe(1);
    expect(gc.missing).toEqual([]);
    expect(await store.chunks.has(orphan.hash)).toBe(false);
    for (const hash of referencedHashes(first.manifest)) expect(await store.chunks.has(hash)).toBe(true);
  });
});
