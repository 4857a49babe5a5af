/** A growable bitmap of finished block indices with a count and a range view. */
export class DoneSet {
  private bits = new Uint8Array(64);
  private n = 0;

  get count(): number {
    return this.n;
  }

  has(index: number): boolean {
    return ((this.bits[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
  }

  /** True when the index was not there before. */
  add(index: number): boolean {
    if (!Number.isSafeInteger(index) || index < 0 || index > 0x7fff_ffff) return false;
    const byte = index >> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (index & 7);
    if (((this.bits[byte] as number) & mask) !== 0) return false;
    this.bits[byte] = (this.bits[byte] as number) | mask;
    this.n++;
    return true;
  }

  addRange(start: number, end: number): void {
    for (let i = Math.max(0, start); i < end; i++) this.add(i);
  }

  clear(): void {
    this.bits = new Uint8Array(64);
    this.n = 0;
  }

  /** Half-open [start, end) runs, at most `limit` of them. */
  ranges(limit = Number.POSITIVE_INFINITY): [number, number][] {
    const out: [number, number][] = [];
    const end = this.bits.length * 8;
    let i = 0;
    while (i < end && out.length < limit) {
      if ((this.bits[i >> 3] as number) === 0) {
        i = ((i >> 3) + 1) << 3;
        continue;
      }
      if (!this.has(i)) {
        i++;
        continue;
      }
      const start = i;
      while (i < end && this.has(i)) i++;
      out.push([start, i]);
    }
    return out;
  }
}
