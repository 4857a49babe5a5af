import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BlockEvent,
  captureDisk,
  deployImage,
  openDisk,
  openLocalStore,
  type ProgressCounters,
} from '../../../../server/src/imaging/index.ts';
import { blankDisk, tempDir, wholeDiskSurvey } from './support/engine-fixtures.ts';

const tmp = tempDir('brume-unknown-');
afterAll(tmp.cleanup);
const KiB = 1024;
const BLOCK = 64 * KiB;

describe('capture of an unknown filesystem', () => {
  it('Given a disk without a table whose content is unknown, then all-zero blocks are skipped, the rest round-trips, and progress is cumulative', async () => {
    // 16 blocks; data in blocks 1, 2 (identical content) and 9; everything else zero.
    const path = blankDisk(join(tmp.dir, 'raw.img'), 16 * BLOCK);
    const fd = openSync(path, 'r+');
    const pattern = Buffer.alloc(BLOCK, 0x42);
    for (const i of [1, 2]) writeSync(fd, pattern, 0, BLOCK, i * BLOCK);
    writeSync(fd, Buffer.from('brume'), 0, 5, 9 * BLOCK + 1000);
    closeSync(fd);

    const disk = await openDisk(path);
    const size = disk.size;
    const events: BlockEvent[] = [];
    const counters: ProgressCounters[] = [];
    const store = openLocalStore(join(tmp.dir, 'store'));
    const result = await captureDisk({
      disk,
      store,
      name: 'raw',
      blockSize: BLOCK,
      workers: 0,
      survey: wholeDiskSurvey(size),
      progress: { block: (e) => events.push(e), progress: (c) => counters.push(c) },
    });
    await disk.close();

    expect(result.manifest.blocks.map((b) => b.offset)).toEqual([1 * BLOCK, 2 * BLOCK, 9 * BLOCK]);
    expect(result.stats.blocksSkipped).toBe(13);
    expect(events.filter((e) => e.state === 'skipped')).toHaveLength(13);
    // Blocks 1 and 2 hold the same bytes: one chunk, the second deduplicated.
    expect(result.manifest.blocks[0]?.hash).toBe(result.manifest.blocks[1]?.hash);
    expect(events.filter((e) => e.state === 'uploaded')).toHaveLength(2);
    expect(events.filter((e) => e.state === 'deduplicated')).toHaveLength(1);
    const blockCounters = counters.filter((c) => c.phase === 'blocks');
    expect(blockCounters.map((c) => c.blocksDone)).toEqual(
      [...blockCounters.map((c) => c.blocksDone)].sort((a, b) => a - b),
    );
    expect(blockCounters.at(-1)).toMatchObject({
      blocksDone: 16,
      blocksTotal: 16,
      bytesDone: size,
      bytesTotal: size,
    });

    const target = blankDisk(join(tmp.dir, 'target.img'), size);
    const out = await openDisk(target, { write: true });
    await deployImage({
      store: store.chunks,
      manifest: result.manifest,
      disk: out,
      workers: 0,
      verify: true,
    });
    await out.close();
    expect(readFileSync(target).equals(readFileSync(path))).toBe(true);
  });
});
