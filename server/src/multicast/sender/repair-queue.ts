/**
 * Pending repairs: per block, the union of fragments some receiver asked for, as a bitset.
 * Blocks are served in the order they were first asked for (Map insertion order).
 */
import { WHOLE_BLOCK } from '../wire/constants.ts';
import type { NackEntry } from '../wire/messages.ts';

interface Pending {
  readonly bits: Uint8Array;
  readonly fragCount: number;
  count: number;
  /** Next fragment index to look at when serving. */
  next: number;
}

export class RepairQueue {
  private readonly blocks = new Map<number, Pending>();
  pendingFragments = 0;

  /** Adds a NACK entry; returns how many fragments were newly queued. */
  add(entry: NackEntry, fragCount: number): number {
    let p = this.blocks.get(entry.blockIndex);
    if (!p) {
      p = { bits: new Uint8Array(Math.ceil(fragCount / 8)), fragCount, count: 0, next: 0 };
      this.blocks.set(entry.blockIndex, p);
    }
    const start = entry.fragCount === WHOLE_BLOCK ? 0 : entry.fragStart;
    const end =
      entry.fragCount === WHOLE_BLOCK ? fragCount : Math.min(fragCount, entry.fragStart + entry.fragCount);
    let added = 0;
    for (let f = start; f < end; f++) {
      const mask = 1 << (f & 7);
      const byte = p.bits[f >> 3] ?? 0;
      if ((byte & mask) === 0) {
        p.bits[f >> 3] = byte | mask;
        added++;
      }
    }
    p.count += added;
    if (start < p.next) p.next = start;
    this.pendingFragments += added;
    if (p.count === 0) this.blocks.delete(entry.blockIndex);
    return added;
  }

  /** Block indexes with pending fragments, oldest request first. */
  blockIndexes(): IterableIterator<number> {
    return this.blocks.keys();
  }

  get size(): number {
    return this.blocks.size;
  }

  /** Takes the next pending fragment of a block, or null when it has none left. */
  take(blockIndex: number): number | null {
    const p = this.blocks.get(blockIndex);
    if (!p) return null;
    for (let f = p.next; f < p.fragCount; f++) {
      const mask = 1 << (f & 7);
      const byte = p.bits[f >> 3] ?? 0;
      if ((byte & mask) !== 0) {
        p.bits[f >> 3] = byte & ~mask;
        p.count--;
        this.pendingFragments--;
        p.next = f + 1;
        if (p.count === 0) this.blocks.delete(blockIndex);
        return f;
      }
    }
    this.blocks.delete(blockIndex);
    return null;
  }

  drop(blockIndex: number): void {
    const p = this.blocks.get(blockIndex);
    if (!p) return;
    this.pendingFragments -= p.count;
    this.blocks.delete(blockIndex);
  }
}
