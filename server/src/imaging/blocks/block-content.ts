/**
 * What a block's bytes become before hashing: unused clusters zeroed, so equal data gives equal
 * hashes whatever garbage the free space held.
 */
import type { ByteRange } from '../layout-types.ts';

/** Zeroes every byte of `buffer[0..length)` outside the sorted, disjoint `used` ranges. */
export function zeroUnused(buffer: Uint8Array, length: number, used: readonly ByteRange[]): void {
  let cursor = 0;
  for (const range of used) {
    if (range.offset > cursor) buffer.fill(0, cursor, range.offset);
    cursor = Math.max(cursor, range.offset + range.length);
  }
  if (cursor < length) buffer.fill(0, cursor, length);
}

const ZERO_PAGE = new Uint8Array(64 * 1024);

/** True when `buffer[0..length)` is all zero (compared a page at a time with memcmp). */
export function isAllZero(buffer: Uint8Array, length = buffer.length): boolean {
  for (let offset = 0; offset < length; offset += ZERO_PAGE.length) {
    const n = Math.min(ZERO_PAGE.length, length - offset);
    const slice = Buffer.from(buffer.buffer, buffer.byteOffset + offset, n);
    if (slice.compare(ZERO_PAGE, 0, n) !== 0) return false;
  }
  return true;
}
