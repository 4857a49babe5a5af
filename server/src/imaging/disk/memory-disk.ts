import type { DiskWriter } from '../layout-types.ts';
import { DiskAccessError } from './disk-errors.ts';

/**
 * A disk held in memory, with the same bounds checks as `openDisk`: for tests and for parsing
 * captured table bytes without touching a device.
 */
export function memoryDisk(bytes: Uint8Array, opts: { path?: string; sectorSize?: number } = {}): DiskWriter {
  const path = opts.path ?? 'memory';
  const check = (buffer: Uint8Array, offset: number, length: number) => {
    const ok =
      Number.isSafeInteger(offset) &&
      Number.isSafeInteger(length) &&
      offset >= 0 &&
      length >= 0 &&
      length <= buffer.length &&
      offset + length <= bytes.length;
    if (!ok)
      throw new DiskAccessError(
        'OUT_OF_RANGE',
        path,
        `range [${offset}, +${length}) outside ${bytes.length}`,
      );
  };
  return {
    path,
    size: bytes.length,
    sectorSize: opts.sectorSize ?? 512,
    async readAt(buffer, offset, length = buffer.length) {
      check(buffer, offset, length);
      buffer.set(bytes.subarray(offset, offset + length), 0);
    },
    async writeAt(buffer, offset, length = buffer.length) {
      check(buffer, offset, length);
      bytes.set(buffer.subarray(0, length), offset);
    },
    async sync() {},
  };
}
