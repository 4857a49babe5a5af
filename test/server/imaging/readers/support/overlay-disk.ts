import fc from 'fast-check';
import type { ByteRange, DiskReader } from '../../../../../server/src/imaging/layout-types.ts';

/** One corrupting write: `bytes` at absolute offset `at`. */
export interface Patch {
  readonly at: number;
  readonly bytes: readonly number[];
}

/**
 * A read-only disk that serves a base image with patches applied on the fly (no copy of the base
 * per run) and records every read, so a test can tell whether a parser left the area it owns.
 */
export function overlayDisk(
  base: Uint8Array,
  patches: readonly Patch[],
): DiskReader & { reads: ByteRange[] } {
  const reads: ByteRange[] = [];
  return {
    path: 'overlay',
    size: base.length,
    sectorSize: 512,
    reads,
    async readAt(buffer, offset, length = buffer.length) {
      if (offset < 0 || length < 0 || length > buffer.length || offset + length > base.length) {
        throw new RangeError(`overlay read [${offset}, +${length}) outside ${base.length}`);
      }
      reads.push({ offset, length });
      buffer.set(base.subarray(offset, offset + length), 0);
      for (const p of patches) {
        p.bytes.forEach((b, i) => {
          const at = p.at + i - offset;
          if (at >= 0 && at < length) buffer[at] = b;
        });
      }
    },
  };
}

/** Random corruptions inside the given regions: single bytes and whole little-endian fields. */
export function patchesIn(regions: readonly ByteRange[]): fc.Arbitrary<Patch[]> {
  const patch = fc
    .record({
      region: fc.nat(regions.length - 1),
      pos: fc.nat(),
      width: fc.constantFrom(1, 2, 4, 8),
      fill: fc.oneof(fc.constant(0x00), fc.constant(0xff), fc.nat(255)),
      random: fc.uint8Array({ minLength: 8, maxLength: 8 }),
      useFill: fc.boolean(),
    })
    .map(({ region, pos, width, fill, random, useFill }) => {
      const r = regions[region]!;
      const at = r.offset + (pos % Math.max(1, r.length - width + 1));
      const bytes = useFill ? new Array<number>(width).fill(fill) : [...random.subarray(0, width)];
      return { at, bytes };
    });
  return fc.array(patch, { minLength: 1, maxLength: 12 });
}
