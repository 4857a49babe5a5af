/**
 * Chooses the next DATA datagram: repairs first (they complete partial blocks and free receiver
 * memory), then the main pass, in block order, over blocks that some active receiver lacks.
 */
import { DataKind } from '../wire/constants.ts';
import { encodeData } from '../wire/encode.ts';
import type { BlockCache } from './block-cache.ts';
import type { BlockSource } from './ports.ts';
import type { RepairQueue } from './repair-queue.ts';

export interface Datagram {
  readonly parts: Uint8Array[];
  readonly bytes: number;
  readonly repair: boolean;
}

/** 'idle': nothing to send now; 'loading': a needed block is being read. */
export type NextDatagram = Datagram | 'idle' | 'loading';

interface MainBlock {
  readonly index: number;
  readonly data: Uint8Array;
  readonly fragCount: number;
  frag: number;
}

/** How many pending repair blocks are looked at per datagram: bounded work when one is loading. */
const REPAIR_SCAN = 8;
/**
 * Needed blocks read ahead of the main pass. One block is ~4 ms of wire time at 1 Gbit/s and a read
 * through the thread pool of a loaded machine can take longer: the pump would idle ('loading').
 * Stays below the cache's capacity so read-ahead never evicts the block being sent.
 */
const READ_AHEAD = 3;

export class Emitter {
  mainCursor = 0;
  seq = 0;
  private main: MainBlock | null = null;

  private readonly sessionId: bigint;
  private readonly source: BlockSource;
  private readonly cache: BlockCache;
  private readonly repairs: RepairQueue;
  private readonly fragmentSize: number;
  private readonly key: Uint8Array | null;
  /** True when some active receiver lacks the block. */
  private readonly needed: (index: number) => boolean;

  constructor(
    sessionId: bigint,
    source: BlockSource,
    cache: BlockCache,
    repairs: RepairQueue,
    fragmentSize: number,
    key: Uint8Array | null,
    needed: (index: number) => boolean,
  ) {
    this.sessionId = sessionId;
    this.source = source;
    this.cache = cache;
    this.repairs = repairs;
    this.fragmentSize = fragmentSize;
    this.key = key;
    this.needed = needed;
  }

  fragCount(index: number): number {
    return Math.max(1, Math.ceil(this.source.block(index).storedSize / this.fragmentSize));
  }

  /** True when the main pass is sending from `data` (its buffer must not hold another block yet). */
  holds(data: Uint8Array): boolean {
    return this.main !== null && this.main.data.buffer === data.buffer;
  }

  get mainDone(): boolean {
    return this.main === null && this.mainCursor >= this.source.blockCount;
  }

  next(): NextDatagram {
    const repair = this.nextRepair();
    if (repair) return repair;
    return this.nextMain();
  }

  private nextRepair(): Datagram | null {
    let scanned = 0;
    for (const index of this.repairs.blockIndexes()) {
      if (scanned++ >= REPAIR_SCAN) break;
      const data = this.cache.get(index);
      if (!data) continue;
      const frag = this.repairs.take(index);
      if (frag !== null) return this.build(index, data, frag, this.fragCount(index), true);
    }
    return null;
  }

  private nextMain(): NextDatagram {
    if (!this.main) {
      while (this.mainCursor < this.source.blockCount && !this.needed(this.mainCursor)) this.mainCursor++;
      if (this.mainCursor >= this.source.blockCount) return 'idle';
      const data = this.cache.get(this.mainCursor);
      if (!data) return 'loading';
      this.main = { index: this.mainCursor, data, fragCount: this.fragCount(this.mainCursor), frag: 0 };
      this.prefetch(this.mainCursor + 1);
    }
    const m = this.main;
    const d = this.build(m.index, m.data, m.frag, m.fragCount, false);
    m.frag++;
    if (m.frag >= m.fragCount) {
      this.main = null;
      this.mainCursor = m.index + 1;
    }
    return d;
  }

  private prefetch(from: number): void {
    let loads = 0;
    for (let i = from; i < this.source.blockCount && loads < READ_AHEAD; i++) {
      if (this.needed(i)) {
        this.cache.load(i);
        loads++;
      }
    }
  }

  private build(index: number, data: Uint8Array, frag: number, fragCount: number, repair: boolean): Datagram {
    const start = frag * this.fragmentSize;
    const payload = data.subarray(start, Math.min(data.length, start + this.fragmentSize));
    const parts = encodeData(
      this.sessionId,
      {
        seq: this.seq++ >>> 0,
        blockIndex: index,
        storedLength: data.length,
        fragIndex: frag,
        fragCount,
        kind: repair ? DataKind.Repair : DataKind.Main,
      },
      payload,
      this.key,
    );
    let bytes = 0;
    for (const p of parts) bytes += p.length;
    return { parts, bytes, repair };
  }
}
