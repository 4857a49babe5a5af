/**
 * A chunk source that reads several chunks in one exchange (the client's multi-chunk GET): the
 * deploy asks it once per group of differing blocks, and falls back to one read per block when
 * it declines.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  captureDisk,
  deployImage,
  type Manifest,
  openDisk,
  openLocalStore,
} from '../../../../server/src/imaging/index.ts';
import { blankDisk, tempDir, wholeDiskSurvey } from './support/engine-fixtures.ts';

const tmp = tempDir('brume-batch-');
afterAll(tmp.cleanup);
const KiB = 1024;
const BLOCK = 64 * KiB;
const BLOCKS = 48;

/** A raw disk of 48 blocks of distinct bytes, except the all-zero blocks 20-23 (a gap in the plan). */
async function imageOfDistinctBlocks() {
  const path = blankDisk(join(tmp.dir, 'source.img'), BLOCKS * BLOCK);
  const fd = openSync(path, 'r+');
  for (let i = 0; i < BLOCKS; i++)
    if (i < 20 || i > 23) writeSync(fd, Buffer.alloc(BLOCK, i + 1), 0, BLOCK, i * BLOCK);
  closeSync(fd);
  const disk = await openDisk(path);
  const size = disk.size;
  const store = openLocalStore(join(tmp.dir, 'store'));
  const { manifest } = await captureDisk({
    disk,
    store,
    name: 'distinct',
    blockSize: BLOCK,
    workers: 0,
    survey: wholeDiskSurvey(size),
  });
  await disk.close();
  return { path, store, manifest };
}

/** The local store behind a source that counts its calls and batches unless told not to. */
function countingSource(store: ReturnType<typeof openLocalStore>, batches: boolean) {
  const calls = { single: 0, many: [] as number[] };
  return {
    calls,
    source: {
      getCompressed: (hash: string) => {
        calls.single++;
        return store.chunks.getCompressed(hash);
      },
      async getManyCompressedInto(hashes: readonly string[], into: Uint8Array) {
        calls.many.push(hashes.length);
        if (!batches) return null;
        let at = 0;
        const lengths: number[] = [];
        for (const hash of hashes) {
          const bytes = await store.chunks.getCompressed(hash);
          into.set(bytes, at);
          at += bytes.length;
          lengths.push(bytes.length);
        }
        return lengths;
      },
    },
  };
}

async function deployTo(
  target: string,
  manifest: Manifest,
  source: ReturnType<typeof countingSource>['source'],
) {
  const disk = await openDisk(target, { write: true });
  try {
    return await deployImage({ store: source, manifest, disk, workers: 0, verify: true });
  } finally {
    await disk.close();
  }
}

describe('deploy from a source that reads several chunks at once', () => {
  it('Given a blank target, when the source batches, then each group of differing blocks is one call and the target equals the source', async () => {
    // Given
    const { path, store, manifest } = await imageOfDistinctBlocks();
    expect(manifest.blocks).toHaveLength(44);
    const target = blankDisk(join(tmp.dir, 'batched.img'), BLOCKS * BLOCK);
    const { source, calls } = countingSource(store, true);

    // When
    const result = await deployTo(target, manifest, source);

    // Then: 8 MiB reads hold every block of a run; the gap at 20-23 splits the plan in two runs
    // (fetched concurrently: either may ask first).
    expect(calls.many.toSorted((a, b) => a - b)).toEqual([20, 24]);
    expect(calls.single).toBe(0);
    expect(result.blocksWritten).toBe(44);
    expect(result.bytesFetched).toBe(manifest.blocks.reduce((s, b) => s + b.storedSize, 0));
    expect(readFileSync(target).equals(readFileSync(path))).toBe(true);
  });

  it('Given a target holding all but a few blocks, then only those are asked for: two of one group in one call, a lone one alone', async () => {
    // Given
    const { path, store, manifest } = await imageOfDistinctBlocks();
    const target = join(tmp.dir, 'almost.img');
    const bytes = readFileSync(path);
    bytes.fill(0, 3 * BLOCK, 4 * BLOCK);
    bytes.fill(0xff, 5 * BLOCK + 100, 5 * BLOCK + 110);
    bytes.fill(0xff, 30 * BLOCK, 30 * BLOCK + 10);
    const fd = openSync(target, 'w');
    writeSync(fd, bytes);
    closeSync(fd);
    const { source, calls } = countingSource(store, true);

    // When
    const result = await deployTo(target, manifest, source);

    // Then
    expect(calls.many).toEqual([2]);
    expect(calls.single).toBe(1);
    expect(result.blocksWritten).toBe(3);
    expect(result.blocksSkipped).toBe(41);
    expect(readFileSync(target).equals(readFileSync(path))).toBe(true);
  });

  it('Given a source that declines to batch, then every block is read on its own and the target is still right', async () => {
    // Given
    const { path, store, manifest } = await imageOfDistinctBlocks();
    const target = blankDisk(join(tmp.dir, 'declined.img'), BLOCKS * BLOCK);
    const { source, calls } = countingSource(store, false);

    // When
    await deployTo(target, manifest, source);

    // Then
    expect(calls.many.toSorted((a, b) => a - b)).toEqual([20, 24]);
    expect(calls.single).toBe(44);
    expect(readFileSync(target).equals(readFileSync(path))).toBe(true);
  });
});
