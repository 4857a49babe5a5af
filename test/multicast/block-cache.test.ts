/**
 * The sender's block cache reuses block buffers (no fresh pages per block sent). The guarantee
 * that makes it safe: a buffer something may still send from is never refilled with another
 * block, so every DATA payload is the stored bytes of the block and fragment it names.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManifestChunkRef, openLocalStore } from '../../server/src/imaging/index.ts';
import { BlockCache } from '../../server/src/multicast/sender/block-cache.ts';
import { Emitter } from '../../server/src/multicast/sender/emitter.ts';
import { engineBlockSource } from '../../server/src/multicast/sender/engine-source.ts';
import type { BlockSource } from '../../server/src/multicast/sender/ports.ts';
import { RepairQueue } from '../../server/src/multicast/sender/repair-queue.ts';
import { newFastData, readFastData } from '../../server/src/multicast/wire/fast-data.ts';

const FRAG = 512;
const SESSION = 0x0123456789abcdefn;
let dir: string;
let source: BlockSource;
let stored: Uint8Array[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'brume-block-cache-'));
  const store = openLocalStore(dir);
  const blocks: ManifestChunkRef[] = [];
  for (let i = 0; i < 24; i++) {
    // Random bytes do not compress: stored blocks of different sizes, all distinct.
    const data = randomBytes(8_000 + i * 997);
    const r = await store.chunks.put(data);
    blocks.push({ offset: i * 65536, length: data.length, hash: r.hash, storedSize: r.storedSize });
  }
  await store.chunks.flush?.();
  source = engineBlockSource(blocks, store.chunks);
  stored = await Promise.all(blocks.map((b) => store.chunks.getCompressed(b.hash)));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Drives the emitter to the end, asking for one fragment of an old block every 7 turns. */
async function sendAll(repairs: RepairQueue, emitter: Emitter, wake: { f: () => void }) {
  const datagrams: Buffer[] = [];
  // Bounded: a hang would hide a failure (nothing here awaits between datagrams).
  for (let n = 0; n < 20_000; n++) {
    if (n % 7 === 3 && emitter.mainCursor > 2 && !emitter.mainDone) {
      // Repairs of blocks already sent churn the cache while the main pass holds its block.
      const old = n % emitter.mainCursor;
      repairs.add(
        { blockIndex: old, fragStart: n % emitter.fragCount(old), fragCount: 1 },
        emitter.fragCount(old),
      );
    }
    const d = emitter.next();
    if (d === 'idle') break;
    if (d === 'loading') {
      await new Promise<void>((r) => {
        wake.f = r;
      });
      continue;
    }
    // The datagram as the kernel would send it, copied now: later reuse must not change it.
    datagrams.push(Buffer.concat(d.parts));
    // Let reads finish mid-block, as they do while the pump waits for its next tick.
    if (n % 4 === 0) await new Promise((r) => setImmediate(r));
  }
  return datagrams;
}

describe('sender block cache with reused buffers', () => {
  it('Given a 3-block cache and repairs that keep evicting, when the main pass sends every block, then every payload is the stored bytes at its fragment', async () => {
    const wake = { f: () => {} };
    let emitter: Emitter | null = null;
    const cache = new BlockCache(source, 3, {
      onLoaded: () => wake.f(),
      onError: (e) => {
        throw e;
      },
      mayReuse: (data) => emitter?.holds(data) !== true,
    });
    const repairs = new RepairQueue();
    emitter = new Emitter(SESSION, source, cache, repairs, FRAG, null, () => true);
    const datagrams = await sendAll(repairs, emitter, wake);
    const f = newFastData();
    let repaired = 0;
    for (const d of datagrams) {
      expect(readFastData(d, 0x01234567, 0x89abcdef, f)).toBe(true);
      const want = stored[f.blockIndex]?.subarray(f.fragIndex * FRAG, f.fragIndex * FRAG + f.payloadLength);
      expect(
        Buffer.compare(
          d.subarray(f.payloadOffset, f.payloadOffset + f.payloadLength),
          want ?? Buffer.alloc(0),
        ),
      ).toBe(0);
      if (f.kind === 1) repaired++;
    }
    expect(repaired).toBeGreaterThan(50);
    expect(datagrams.length).toBeLessThan(10_000);
  });

  it('Given a buffer the sender says is still referenced, when it is evicted, then no later block is read into it', async () => {
    const wake = { f: () => {} };
    const seen = new Map<ArrayBufferLike, number>();
    const cache = new BlockCache(source, 2, {
      onLoaded: () => wake.f(),
      onError: (e) => {
        throw e;
      },
      mayReuse: () => false,
    });
    for (let i = 0; i < source.blockCount; i++) {
      let data = cache.get(i);
      while (!data) {
        await new Promise<void>((r) => {
          wake.f = r;
        });
        data = cache.get(i);
      }
      expect(seen.has(data.buffer)).toBe(false);
      seen.set(data.buffer, i);
    }
  });
});
