import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BlockDecodeError,
  type CaptureResult,
  captureDisk,
  type DeployOptions,
  deployImage,
  type LocalImageStore,
  type Manifest,
  OperationAbortedError,
  openDisk,
  openLocalStore,
  TargetTooSmallError,
} from '../../../../server/src/imaging/index.ts';
import { pageCacheBytes, requireTools } from '../readers/support/tools.ts';
import { blankDisk, diskFiles, SMALL_DIR, smallFixture, tempDir } from './support/engine-fixtures.ts';

const tmp = tempDir('brume-deployfail-');
let store: LocalImageStore;
let image: CaptureResult;
afterAll(tmp.cleanup);

beforeAll(async () => {
  const disk = await openDisk(smallFixture());
  store = openLocalStore(join(tmp.dir, 'store'));
  try {
    image = await captureDisk({ disk, store, name: 'small', workers: 2 });
  } finally {
    await disk.close();
  }
});

async function deploy(path: string, extra: Partial<DeployOptions> = {}) {
  const disk = await openDisk(path, { write: true });
  try {
    return await deployImage({ store: store.chunks, manifest: image.manifest, disk, workers: 2, ...extra });
  } finally {
    await disk.close();
  }
}

function readRange(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, offset);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** A sparse target with a pattern in its first MiB: any write would change the pattern or allocate blocks. */
function patternedSparse(path: string, size: number): { fingerprint: () => string } {
  blankDisk(path, size);
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(1 << 20, 0x5a), 0, 1 << 20, 0);
  closeSync(fd);
  return {
    fingerprint: () =>
      `${statSync(path).blocks}:${statSync(path).size}:${createHash('sha256')
        .update(readRange(path, 0, 1 << 20))
        .digest('hex')}`,
  };
}

function chunkPath(hash: string): string {
  return join(store.root, 'chunks', hash.slice(0, 2), hash.slice(2, 4), `${hash}.zst`);
}

/** A block in the middle of the image whose chunk no other block uses. */
function uniqueBlock(manifest: Manifest): number {
  const counts = new Map<string, number>();
  for (const b of manifest.blocks) counts.set(b.hash, (counts.get(b.hash) ?? 0) + 1);
  const mid = manifest.blocks.length >> 1;
  for (let i = mid; i < manifest.blocks.length; i++)
    if (counts.get(manifest.blocks[i]?.hash ?? '') === 1) return i;
  throw new Error('no unique block');
}

describe('deploy refusals and recovery', () => {
  it('Given one bit flipped in a stored chunk, when deployed, then the deploy stops before writing that block and names it', async () => {
    const index = uniqueBlock(image.manifest);
    const block = image.manifest.blocks[index] as Manifest['blocks'][number];
    const path = chunkPath(block.hash);
    const original = readFileSync(path);
    const flipped = Buffer.from(original);
    flipped.writeUInt8(flipped.readUInt8(flipped.length >> 1) ^ 0x01, flipped.length >> 1);
    writeFileSync(path, flipped);
    try {
      const target = blankDisk(join(tmp.dir, 'flip.img'), image.manifest.disk.size);
      const error = await deploy(target, { queueDepth: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlockDecodeError);
      expect((error as BlockDecodeError).index).toBe(index);
      expect((error as BlockDecodeError).hash).toBe(block.hash);
      expect((error as Error).message).toContain(block.hash);
      expect((error as Error).message).toContain(`block ${index}`);
      // Nothing of that block reached the target, while the block before it did.
      expect(readRange(target, block.offset, block.length).every((b) => b === 0)).toBe(true);
      const before = image.manifest.blocks[index - 1] as Manifest['blocks'][number];
      const beforeBytes = readRange(target, before.offset, before.length);
      expect(createHash('sha256').update(beforeBytes).digest('hex')).toBe(before.hash);
    } finally {
      writeFileSync(path, original);
    }
  });

  it('Given a deploy aborted midway, when rerun with its done-map, then it resumes (fewer bytes fetched) and the disk ends correct', async () => {
    const target = blankDisk(join(tmp.dir, 'resume.img'), image.manifest.disk.size);
    const doneMapPath = join(tmp.dir, 'resume.done');
    const controller = new AbortController();
    let written = 0;
    const half = image.manifest.blocks.length >> 1;
    const aborted = await deploy(target, {
      doneMapPath,
      signal: controller.signal,
      checkpointMs: 0,
      progress: { block: (e) => e.state === 'written' && ++written === half && controller.abort() },
    }).catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(OperationAbortedError);
    expect(existsSync(doneMapPath)).toBe(true);

    const resumed = await deploy(target, { doneMapPath, verify: true });
    expect(resumed.blocksResumed).toBeGreaterThanOrEqual(half);
    expect(resumed.blocksResumed + resumed.blocksWritten + resumed.blocksSkipped).toBe(
      image.manifest.blocks.length,
    );
    expect(resumed.bytesFetched).toBeLessThan(image.manifest.totals.storedBytes * 0.75);
    expect(existsSync(doneMapPath)).toBe(false);
    expect(diskFiles(target)).toBe(readFileSync(join(SMALL_DIR, 'files.sha256'), 'utf8'));
  });

  it('Given a target that already holds the image, when deployed again, then every block is skipped and nothing is fetched but the tables', async () => {
    const target = join(tmp.dir, 'resume.img');
    const again = await deploy(target);
    expect(again.blocksWritten).toBe(0);
    expect(again.blocksSkipped).toBe(image.manifest.blocks.length);
    expect(again.bytesFetched).toBeLessThan(10_000);
  });

  it('Given a target holding the image with every 20th block damaged, when deployed again, then only those blocks are written, each only in its damaged 64 KiB', async () => {
    const target = join(tmp.dir, 'damaged.img');
    blankDisk(target, image.manifest.disk.size);
    await deploy(target);
    const fd = openSync(target, 'r+');
    const damaged = image.manifest.blocks.filter((_, i) => i % 20 === 0);
    for (const b of damaged) writeSync(fd, Buffer.alloc(64 * 1024, 0xa5), 0, 64 * 1024, b.offset);
    closeSync(fd);
    const again = await deploy(target, { queueDepth: 3 });
    expect(again.blocksWritten).toBe(damaged.length);
    expect(again.blocksSkipped).toBe(image.manifest.blocks.length - damaged.length);
    // The table areas are always rewritten; of the blocks, only the damaged spans.
    const tables = image.manifest.preserved.reduce((sum, p) => sum + p.length, 0);
    expect(again.bytesWritten).toBe(tables + damaged.length * 64 * 1024);
    expect(diskFiles(target)).toBe(readFileSync(join(SMALL_DIR, 'files.sha256'), 'utf8'));
  });

  it('Given a target smaller than the last block, then a TargetTooSmallError comes before any write', async () => {
    const last = image.manifest.blocks.at(-1) as Manifest['blocks'][number];
    const small = join(tmp.dir, 'small.img');
    const target = patternedSparse(small, last.offset + last.length - 512);
    const before = target.fingerprint();
    const error = await deploy(small).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetTooSmallError);
    expect((error as TargetTooSmallError).required).toBe(last.offset + last.length);
    expect(target.fingerprint()).toBe(before);
  });

  it('Given a GPT target big enough for the last block but not for the partitions plus a backup, then it is refused untouched', async () => {
    const last = image.manifest.blocks.at(-1) as Manifest['blocks'][number];
    const tight = join(tmp.dir, 'tight.img');
    const target = patternedSparse(tight, last.offset + last.length);
    const before = target.fingerprint();
    const error = await deploy(tight).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetTooSmallError);
    expect(target.fingerprint()).toBe(before);
  });
});

describe('redeploy reads', () => {
  it('Given a target that already holds the image and a dropped page cache, when deployed again, then every block is skipped and the target was read past the page cache', async () => {
    requireTools('fincore', 'dd');
    const target = join(tmp.dir, 'redeploy-reads.img');
    blankDisk(target, image.manifest.disk.size);
    await deploy(target);
    // GNU dd's nocache drops what the first deploy left of the file in the page cache.
    execFileSync('dd', [
      'if=/dev/null',
      `of=${target}`,
      'oflag=nocache',
      'conv=notrunc,fdatasync',
      'count=0',
      'status=none',
    ]);
    const before = pageCacheBytes(target);
    const result = await deploy(target);
    expect(result.blocksWritten).toBe(0);
    expect(result.blocksSkipped).toBe(image.manifest.blocks.length);
    const usedBytes = image.manifest.blocks.reduce((n, b) => n + b.length, 0);
    // Buffered, the check would leave all the used bytes it read in the cache.
    expect(pageCacheBytes(target) - before).toBeLessThan(usedBytes / 10);
  });
});
