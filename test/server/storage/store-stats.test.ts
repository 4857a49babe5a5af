/**
 * `storeStats`: the dashboard's store figures, checked against what is really on disk (the chunk
 * files, `df`) and against the manifests (dedup savings worked out here from their chunk lists).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../../server/src/imaging/index.ts';
import {
  createImage,
  randomDisk,
  seedImage,
  startTransferApp,
  type TransferApp,
} from '../transfer/transfer-harness.ts';

let a: TransferApp;
beforeAll(async () => {
  a = await startTransferApp();
});
afterAll(() => a?.close());

const STATS = `{ storeStats { usedBytes freeBytes totalBytes chunkCount chunkBytes logicalBytes dedupSavedBytes
  images { imageId image { name } versionCount logicalBytes storedBytes uniqueBytes dedupSavedBytes } } }`;
interface Stats {
  usedBytes: number;
  freeBytes: number;
  totalBytes: number;
  chunkCount: number;
  chunkBytes: number;
  logicalBytes: number;
  dedupSavedBytes: number;
  images: {
    imageId: string;
    image: { name: string } | null;
    versionCount: number;
    logicalBytes: number;
    storedBytes: number;
    uniqueBytes: number;
    dedupSavedBytes: number;
  }[];
}

async function stats(token = a.operator) {
  return a.gql<{ storeStats: Stats }>(STATS, { token });
}

/** Every chunk file under the store, as the shell sees it. */
function chunkFilesOnDisk(): { count: number; bytes: number } {
  const files = fs
    .readdirSync(path.join(a.imagesDir, 'chunks'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.zst'));
  const bytes = files.reduce((n, e) => n + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
  return { count: files.length, bytes };
}

/** Distinct chunks of a set of manifests: hash → compressed size. */
function chunksOf(...manifests: Manifest[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const m of manifests) for (const c of [...m.blocks, ...m.preserved]) map.set(c.hash, c.storedSize);
  return map;
}
const sum = (m: Map<string, number>) => [...m.values()].reduce((n, v) => n + v, 0);

describe('storeStats', () => {
  it('Given an empty store, then sizes come from statfs and nothing is saved', async () => {
    const res = await stats();
    expect(res.errors).toBeUndefined();
    const s = res.data!.storeStats;
    expect(s).toMatchObject({
      chunkCount: 0,
      chunkBytes: 0,
      logicalBytes: 0,
      dedupSavedBytes: 0,
      images: [],
    });
    expect(s.totalBytes).toBeGreaterThan(0);
    expect(s.usedBytes + s.freeBytes).toBeLessThanOrEqual(s.totalBytes);
  });

  it('Given two versions of one image and a second image sharing its start, then savings match the manifests', async () => {
    // Given: image A captured twice from the same disk, image B from a disk that begins like it
    const small = path.join(a.work, 'small.img');
    const large = path.join(a.work, 'large.img');
    randomDisk(small, 8, 1);
    randomDisk(large, 12, 1); // the same key stream: its first 8 MiB are small.img's
    const imageA = await createImage(a);
    const imageB = await createImage(a);
    const a1 = await seedImage(a, imageA.id, imageA.name, small);
    const a2 = await seedImage(a, imageA.id, imageA.name, small);
    const b1 = await seedImage(a, imageB.id, imageB.name, large);

    // When
    const res = await stats();

    // Then: chunk files and filesystem as the system reports them
    expect(res.errors).toBeUndefined();
    const s = res.data!.storeStats;
    expect({ count: s.chunkCount, bytes: s.chunkBytes }).toEqual(chunkFilesOnDisk());
    const df = execFileSync('df', ['-B1', '--output=size,avail', a.imagesDir], { encoding: 'utf8' });
    const [size, avail] = df.trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
    expect(s.totalBytes).toBe(size);
    expect(Math.abs(s.freeBytes - avail!)).toBeLessThan(64 << 20); // others write meanwhile

    // and savings as the manifests' chunk lists give them
    const alone = sum(chunksOf(a1)) + sum(chunksOf(a2)) + sum(chunksOf(b1));
    expect(s.dedupSavedBytes).toBe(alone - sum(chunksOf(a1, a2, b1)));
    expect(s.dedupSavedBytes).toBeGreaterThan(0);
    expect(s.logicalBytes).toBe(a1.disk.size + a2.disk.size + b1.disk.size);
    const onlyB = new Map([...chunksOf(b1)].filter(([h]) => !chunksOf(a1, a2).has(h)));
    const byName = Object.fromEntries(s.images.map((i) => [i.image?.name, i]));
    expect(byName[imageA.name]).toEqual({
      imageId: imageA.id,
      image: { name: imageA.name },
      versionCount: 2,
      logicalBytes: a1.disk.size * 2,
      storedBytes: sum(chunksOf(a1)) * 2,
      uniqueBytes: 0, // every chunk of A is also in B
      dedupSavedBytes: sum(chunksOf(a1)) * 2,
    });
    expect(byName[imageB.name]).toMatchObject({
      versionCount: 1,
      storedBytes: sum(chunksOf(b1)),
      uniqueBytes: sum(onlyB),
      dedupSavedBytes: sum(chunksOf(b1)) - sum(onlyB),
    });
    expect(sum(onlyB)).toBeGreaterThan(0);
  });

  it('Given a VIEWER or no token, then storeStats is refused; an ADMIN may read it', async () => {
    const viewer = await a.t.createUser('VIEWER');
    expect((await stats(viewer.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await a.gql<{ storeStats: Stats }>(STATS, {});
    expect(anonymous.data?.storeStats ?? null).toBeNull();
    expect(anonymous.errors?.length).toBeGreaterThan(0);
    const admin = await a.t.createUser('ADMIN');
    expect((await stats(admin.token)).data?.storeStats.chunkCount).toBeGreaterThan(0);
  });

  it('Given requests arriving while the store is being walked, then they share that walk; a request after it walks again', async () => {
    const storage = a.t.app.services.storage;
    const [first, second] = await Promise.all([storage.storeStats(), storage.storeStats()]);
    expect(second).toBe(first);
    const later = await storage.storeStats();
    expect(later).not.toBe(first);
    expect(later.chunkCount).toBe(chunkFilesOnDisk().count);
  });
});
