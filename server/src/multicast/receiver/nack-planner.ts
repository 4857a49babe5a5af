/**
 * Which blocks to ask for: every block the main pass has gone past (its cursor, learned from DATA
 * and BEACON) that is neither done nor being verified. Partial blocks ask for their missing
 * fragment ranges, untouched ones for the whole block; a block is asked again only after renackMs.
 */
import { MAX_NACK_ENTRIES, WHOLE_BLOCK } from '../wire/constants.ts';
import type { NackEntry } from '../wire/messages.ts';
import type { DoneMap } from './done-map.ts';
import type { Reassembler } from './reassembler.ts';

export interface NackPlanInput {
  readonly done: DoneMap;
  readonly reassembler: Reassembler;
  readonly busy: (index: number) => boolean;
  readonly cursor: number;
  readonly now: number;
  readonly renackMs: number;
  /** A partial block touched this recently is still arriving: wait. */
  readonly quietMs: number;
  readonly maxEntries: number;
}

export class NackPlanner {
  private readonly lastAsked = new Map<number, number>();
  private low = 0;

  /** Forget a block's timer: ask at once next time (after a bad hash). */
  reset(index: number): void {
    this.lastAsked.delete(index);
  }

  plan(p: NackPlanInput): NackEntry[] {
    const out: NackEntry[] = [];
    while (this.low < p.done.blockCount && p.done.has(this.low)) {
      this.lastAsked.delete(this.low);
      this.low++;
    }
    for (let b = this.low; b < p.cursor && out.length < p.maxEntries; b++) {
      if (p.done.has(b) || p.busy(b)) continue;
      const asked = this.lastAsked.get(b);
      if (asked !== undefined && p.now - asked < p.renackMs) continue;
      const partial = p.reassembler.get(b);
      if (partial) {
        if (p.now - partial.lastTouched < p.quietMs) continue;
        for (const [start, count] of p.reassembler.missing(b)) {
          if (out.length >= p.maxEntries) break;
          out.push({ blockIndex: b, fragStart: start, fragCount: count });
        }
      } else {
        out.push({ blockIndex: b, fragStart: 0, fragCount: WHOLE_BLOCK });
      }
      this.lastAsked.set(b, p.now);
    }
    return out;
  }
}

export function chunkEntries(entries: readonly NackEntry[]): NackEntry[][] {
  const out: NackEntry[][] = [];
  for (let i = 0; i < entries.length; i += MAX_NACK_ENTRIES) out.push(entries.slice(i, i + MAX_NACK_ENTRIES));
  return out;
}
