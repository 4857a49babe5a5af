/**
 * The imaging engine as the receiver's BlockSink and ResumeStore: blocks are decoded and verified
 * by the engine's codec (worker pool or inline) and written by its writeChunk at the manifest
 * offset of that index only; the done-map is the engine's resumable DoneMap file.
 */
import {
  allocSlot,
  BlockDecodeError,
  type ChunkCodec,
  type DiskWriter,
  DoneMap,
  type ManifestChunkRef,
  writeChunk,
} from '../../imaging/index.ts';
import type { BlockSink, ResumeStore } from './ports.ts';

export function engineBlockSink(
  blocks: readonly ManifestChunkRef[],
  disk: DiskWriter,
  codec: ChunkCodec,
): BlockSink {
  const maxLength = blocks.reduce((m, b) => Math.max(m, b.length), 1);
  // One slot, so one block at a time: a block is decoded into the slot and written from it while the
  // write is in flight, and a second block decoded meanwhile would land at the first one's offset.
  // The lane enforces that whoever calls (multicast intake, unicast fetch, a wrapper).
  const slot = allocSlot(maxLength, disk);
  let lane: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(f: () => Promise<T>): Promise<T> => {
    const run = lane.then(f);
    lane = run.catch(() => undefined);
    return run;
  };
  const ref = (i: number): ManifestChunkRef => {
    const b = blocks[i];
    if (!b) throw new RangeError(`block ${i} of ${blocks.length}`);
    return b;
  };
  return {
    blockCount: blocks.length,
    storedSize: (i) => ref(i).storedSize,
    length: (i) => ref(i).length,
    verifyAndWrite: (i, stored) =>
      oneAtATime(async () => {
        try {
          await writeChunk(disk, i, ref(i), stored, slot, codec);
          return 'ok';
        } catch (error) {
          if (error instanceof BlockDecodeError) return 'bad-hash';
          throw error;
        }
      }),
    sync: () => disk.sync(),
  };
}

/** The done-map file of the engine, bound to one block list by its digest. */
export function engineResumeStore(path: string, blocksDigest: string, blockCount: number): ResumeStore {
  return {
    async load() {
      const map = await DoneMap.load(path, blocksDigest, blockCount);
      const bits = new Uint8Array(Math.ceil(blockCount / 8));
      for (let i = 0; i < blockCount; i++)
        if (map.has(i)) bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7));
      return bits;
    },
    async save(done) {
      await new DoneMap(blocksDigest, blockCount, Uint8Array.from(done)).save(path);
    },
  };
}
