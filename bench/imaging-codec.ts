/**
 * `codec`: sha256 + zstd throughput of the chunk codec on real blocks of the bench fixture, inline
 * on the main thread against the worker pool, per block size and level. Answers "do workers beat
 * main-thread hashing for this block size" and "which level" without disk I/O in the way.
 */
import { parseArgs } from 'node:util';
import {
  allocSlot,
  createCodec,
  openDisk,
  planBlocks,
  surveyDisk,
  zeroUnused,
} from '../server/src/imaging/index.ts';
import { FIXTURE_DISK, loadAverage, log, round3 } from './imaging-common.ts';
import type { Bench } from './main.ts';

const SAMPLE_BYTES = 256 * 1024 * 1024;

async function sampleBlocks(blockSize: number): Promise<Uint8Array[]> {
  const disk = await openDisk(FIXTURE_DISK);
  try {
    const survey = await surveyDisk(disk, [2]);
    const plan = planBlocks(survey.parts, blockSize);
    // Every k-th block so text, binaries and keystream are all represented.
    const step = Math.max(1, Math.floor(plan.length / (SAMPLE_BYTES / blockSize)));
    const out: Uint8Array[] = [];
    for (let i = 0; i < plan.length && out.length * blockSize < SAMPLE_BYTES; i += step) {
      const b = plan[i] as (typeof plan)[number];
      const buf = new Uint8Array(b.length);
      await disk.readAt(buf, b.offset, b.length);
      zeroUnused(buf, b.length, b.used);
      out.push(buf);
    }
    return out;
  } finally {
    await disk.close();
  }
}

async function throughput(blocks: Uint8Array[], workers: number, level: number) {
  const codec = createCodec(workers);
  const depth = Math.max(2, workers * 2);
  const slots = Array.from({ length: depth }, () => allocSlot(Math.max(...blocks.map((b) => b.length))));
  let next = 0;
  let stored = 0;
  const start = performance.now();
  await Promise.all(
    slots.map(async (slot) => {
      while (next < blocks.length) {
        const block = blocks[next++] as Uint8Array;
        slot.bytes.set(block);
        await codec.digest(slot, block.length);
        // Not `stored += await ...`: that reads `stored` before the await and loses updates.
        const compressed = await codec.compress(slot, block.length, level);
        stored += compressed.length;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await codec.close();
  const bytes = blocks.reduce((s, b) => s + b.length, 0);
  return { mib_s: round3(bytes / 2 ** 20 / seconds), ratio: round3(stored / bytes) };
}

export const codec: Bench = {
  summary: 'sha256+zstd throughput on fixture blocks: inline vs worker pool, per block size and level',
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        'block-size-kib': { type: 'string', default: '1024' },
        levels: { type: 'string', default: '1,3,5' },
      },
      strict: false,
    });
    const blockSize = Number(values['block-size-kib']) * 1024;
    const blocks = await sampleBlocks(blockSize);
    const results: Record<string, unknown> = { bench: 'codec', block_kib: blockSize / 1024 };
    for (const level of String(values.levels).split(',').map(Number)) {
      for (const workers of [0, 1, 2]) {
        const r = await throughput(blocks, workers, level);
        results[`l${level}_w${workers}_mib_s`] = r.mib_s;
        results[`l${level}_ratio`] = r.ratio;
        log(
          `block ${blockSize / 1024} KiB level ${level} workers ${workers}: ${r.mib_s} MiB/s, ratio ${r.ratio}; load ${await loadAverage()}`,
        );
      }
    }
    return results;
  },
};
