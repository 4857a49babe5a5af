/** Bit `i` of an LSB-first bitmap (the order NTFS, ext and our own bitmaps use). */
export function testBit(bitmap: Uint8Array, i: number): boolean {
  return ((bitmap[i >>> 3]! >>> (i & 7)) & 1) === 1;
}

export function setBit(bitmap: Uint8Array, i: number): void {
  bitmap[i >>> 3]! |= 1 << (i & 7);
}

/** Sets bits [from, to), clipped to the bitmap. */
export function setBits(bitmap: Uint8Array, from: number, to: number): void {
  const end = Math.min(to, bitmap.length * 8);
  let i = Math.max(0, from);
  while (i < end && (i & 7) !== 0) setBit(bitmap, i++);
  while (i + 8 <= end) {
    bitmap[i >>> 3] = 0xff;
    i += 8;
  }
  while (i < end) setBit(bitmap, i++);
}

const POPCOUNT = new Uint8Array(256).map((_, b) => {
  let n = 0;
  for (let x = b; x !== 0; x >>>= 1) n += x & 1;
  return n;
});

/** Number of set bits in [0, bits). */
export function countBits(bitmap: Uint8Array, bits: number): number {
  const whole = Math.min(bits >>> 3, bitmap.length);
  let n = 0;
  for (let i = 0; i < whole; i++) n += POPCOUNT[bitmap[i]!]!;
  for (let i = whole * 8; i < bits && i < bitmap.length * 8; i++) if (testBit(bitmap, i)) n++;
  return n;
}

/**
 * Calls `onRun(start, end)` for each run of set bits in [from, to), skipping whole zero or
 * whole one bytes so a mostly empty or mostly full bitmap costs a byte per 8 clusters.
 */
export function forEachSetRun(
  bitmap: Uint8Array,
  from: number,
  to: number,
  onRun: (start: number, end: number) => void,
): void {
  const end = Math.min(to, bitmap.length * 8);
  let i = Math.max(0, from);
  let runStart = -1;
  while (i < end) {
    if ((i & 7) === 0 && i + 8 <= end) {
      const byte = bitmap[i >>> 3]!;
      if (byte === 0 && runStart < 0) {
        i += 8;
        continue;
      }
      if (byte === 0xff && runStart >= 0) {
        i += 8;
        continue;
      }
    }
    const set = testBit(bitmap, i);
    if (set && runStart < 0) runStart = i;
    else if (!set && runStart >= 0) {
      onRun(runStart, i);
      runStart = -1;
    }
    i++;
  }
  if (runStart >= 0) onRun(runStart, end);
}
