/** copyBytes: the same bytes land in shared and plain buffers, at any offset; nothing out of range. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyBytes } from '../../../server/src/imaging/copy-bytes.ts';

describe('copyBytes', () => {
  it('copies exactly src into dst at the offset, shared or not, views at offsets included', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(64),
        fc.nat(16),
        fc.boolean(),
        fc.boolean(),
        (src, at, viewStart, shared, srcIsBuffer) => {
          const size = viewStart + at + src.length + 8;
          const backing = shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
          const whole = new Uint8Array(backing).fill(0xa5);
          const dst = new Uint8Array(backing, viewStart, size - viewStart);
          copyBytes(dst, at, srcIsBuffer ? Buffer.from(src) : src);
          const expected = new Uint8Array(size).fill(0xa5);
          expected.set(src, viewStart + at);
          expect(Buffer.from(whole).equals(Buffer.from(expected))).toBe(true);
        },
      ),
    );
  });

  it('refuses a copy that would leave the destination, before writing anything', () => {
    const dst = new Uint8Array(new SharedArrayBuffer(16));
    expect(() => copyBytes(dst, 10, new Uint8Array(7).fill(1))).toThrow(RangeError);
    expect(() => copyBytes(dst, -1, new Uint8Array(1).fill(1))).toThrow(RangeError);
    expect(dst.every((b) => b === 0)).toBe(true);
  });
});
