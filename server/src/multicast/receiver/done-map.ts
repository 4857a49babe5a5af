/** The receiver's done-map: a bit per block, with windows for REPORTs (PROTOCOL.md JOIN/REPORT). */
import { MAX_MAP_BYTES } from '../wire/constants.ts';

export class DoneMap {
  readonly bits: Uint8Array;
  readonly blockCount: number;
  count = 0;
  private readonly dirtyWindows = new Set<number>();
  private rotate = 0;

  constructor(blockCount: number, initial?: Uint8Array | null) {
    this.blockCount = blockCount;
    this.bits = new Uint8Array(Math.ceil(blockCount / 8));
    if (initial) {
      for (let i = 0; i < blockCount; i++) if ((initial[i >> 3] ?? 0) & (1 << (i & 7))) this.set(i);
    }
    this.dirtyWindows.clear();
  }

  has(i: number): boolean {
    return ((this.bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }

  set(i: number): void {
    if (this.has(i)) return;
    this.bits[i >> 3] = (this.bits[i >> 3] ?? 0) | (1 << (i & 7));
    this.count++;
    this.dirtyWindows.add(Math.floor(i / 8 / MAX_MAP_BYTES));
  }

  get complete(): boolean {
    return this.count === this.blockCount;
  }

  get windowCount(): number {
    return Math.max(1, Math.ceil(this.bits.length / MAX_MAP_BYTES));
  }

  window(w: number): { mapStart: number; map: Uint8Array } {
    const from = w * MAX_MAP_BYTES;
    return {
      mapStart: from * 8,
      map: this.bits.subarray(from, Math.min(this.bits.length, from + MAX_MAP_BYTES)),
    };
  }

  /** Windows for the next REPORT: the changed ones and one more in rotation, so losses heal. */
  takeReportWindows(): number[] {
    const out = new Set(this.dirtyWindows);
    this.dirtyWindows.clear();
    out.add(this.rotate);
    this.rotate = (this.rotate + 1) % this.windowCount;
    return [...out];
  }
}
