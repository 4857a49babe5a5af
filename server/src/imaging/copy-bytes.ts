/**
 * Byte copies that stay fast into shared memory. `Uint8Array.set` (and `Buffer.copy`, which calls
 * it) into a SharedArrayBuffer is V8's relaxed-atomic copy, word by word; perf put it at 7 % of
 * the server's main thread while reading upload bodies and at the top of a multicast receiver's.
 * `Buffer.fill` with a Buffer value is Node's own memcpy: 6x less CPU for an 8.8 KB fragment.
 */

/** Copies `src` into `dst` at `dstOffset` (which must have room); either may be shared. */
export function copyBytes(dst: Uint8Array, dstOffset: number, src: Uint8Array): void {
  const n = src.length;
  if (n === 0) return;
  if (dstOffset < 0 || dstOffset + n > dst.length)
    throw new RangeError(`${n} bytes at ${dstOffset} in ${dst.length}`);
  if (!(dst.buffer instanceof SharedArrayBuffer)) {
    dst.set(src, dstOffset);
    return;
  }
  const target = Buffer.isBuffer(dst) ? dst : Buffer.from(dst.buffer, dst.byteOffset, dst.length);
  const value = Buffer.isBuffer(src) ? src : Buffer.from(src.buffer, src.byteOffset, n);
  target.fill(value, dstOffset, dstOffset + n);
}
