/**
 * Deploy targets are written with O_DIRECT where the buffer, offset and length allow it
 * (direct-io.ts): the bytes land where they should whatever the mix of direct and buffered
 * writes, and direct ones leave nothing in the page cache (checked with util-linux `fincore`).
 */
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDisk } from '../../../../server/src/imaging/disk/open-disk.ts';
import { allocSlot, WorkerCodec } from '../../../../server/src/imaging/pipeline/chunk-codec-pool.ts';
import { encodeChunk } from '../../../../server/src/imaging/store/chunk-codec.ts';
import { sha256Hex } from '../../../../server/src/imaging/store/chunk-hash.ts';
import { makeTempDir, pageCacheBytes, requireTools, seededBytes } from './support/tools.ts';

const MIB = 1024 * 1024;
const tmp = makeTempDir();
afterAll(tmp.cleanup);

function blankImage(name: string, size: number): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, '');
  truncateSync(path, size);
  return path;
}

describe('direct writes to an image file', () => {
  it('Given a disk opened for writing, when a block is written from its aligned buffer, then it reads back and is not in the page cache, unlike the same write buffered', async () => {
    requireTools('fincore');
    const data = seededBytes(7, 4 * MIB);
    const written: Record<string, number> = {};
    for (const direct of [true, false]) {
      const path = blankImage(`cache-${direct}.img`, 16 * MIB);
      const disk = await openDisk(path, { write: true, direct });
      try {
        const slot = allocSlot(data.length, disk);
        if (direct) {
          // The view starts where O_DIRECT accepts the address: inside the probe's slack.
          expect(slot.bytes.byteOffset).toBeLessThan(512);
        } else {
          expect(slot.bytes.byteOffset).toBe(0);
        }
        slot.bytes.set(data);
        await disk.writeAt(slot.bytes, 2 * MIB);
        await disk.sync();
        written[String(direct)] = pageCacheBytes(path);
      } finally {
        await disk.close();
      }
      expect(
        readFileSync(path)
          .subarray(2 * MIB, 6 * MIB)
          .equals(data),
      ).toBe(true);
    }
    expect(written.false).toBeGreaterThanOrEqual(4 * MIB);
    expect(written.true).toBeLessThan(MIB);
    // The probe's scratch file is gone.
    expect(readdirSync(tmp.dir).filter((n) => n.includes('dio-probe'))).toEqual([]);
  });

  it('Given direct and buffered writes that overlap, when read back, then every byte is the last one written', async () => {
    const path = blankImage('mixed.img', 8 * MIB);
    const expected = Buffer.alloc(8 * MIB);
    const disk = await openDisk(path, { write: true });
    try {
      const slot = allocSlot(2 * MIB, disk);
      const steps: [Uint8Array, number][] = [
        [slot.bytes.fill(0xa1), 0], // direct: aligned buffer, offset and length
        [seededBytes(2, 777), 1000], // buffered: odd offset and length
        [seededBytes(3, 4096), 4096], // buffered: a buffer nobody probed
        [slot.bytes.subarray(0, MIB).fill(0xc3), MIB], // direct again, over the buffered ranges' block
        [slot.bytes.subarray(512, 512 + 8192).fill(0xd4), 3 * MIB], // view 512 bytes in: still aligned
        [seededBytes(4, 5000), MIB + 10], // buffered over the direct write
      ];
      for (const [bytes, offset] of steps) {
        await disk.writeAt(bytes, offset);
        expected.set(bytes, offset);
      }
      await disk.sync();
      const back = new Uint8Array(8 * MIB);
      await disk.readAt(back, 0);
      expect(Buffer.from(back).equals(expected)).toBe(true);
    } finally {
      await disk.close();
    }
    expect(readFileSync(path).equals(expected)).toBe(true);
  });

  it('Given an aligned slot (bytes inside its shared buffer), when the worker decodes and hashes into it, then the block is at the view, not at the buffer start', async () => {
    const path = blankImage('codec.img', MIB);
    const disk = await openDisk(path, { write: true });
    const codec = new WorkerCodec(1);
    try {
      const data = seededBytes(9, 256 * 1024);
      const chunk = encodeChunk(data, 3);
      const slot = allocSlot(data.length, disk);
      expect(await codec.decode(chunk.hash, chunk.compressed, slot)).toBe(data.length);
      expect(Buffer.from(slot.bytes).equals(data)).toBe(true);
      expect(await codec.digest(slot, data.length)).toBe(sha256Hex(data));
      const out = allocSlot(chunk.compressed.length + 1024, disk);
      const n = await codec.compressInto?.(slot, data.length, 3, out);
      expect(Buffer.from(out.bytes.subarray(0, n)).equals(chunk.compressed)).toBe(true);
    } finally {
      await codec.close();
      await disk.close();
    }
  });
});
