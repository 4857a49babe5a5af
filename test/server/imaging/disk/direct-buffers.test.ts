/**
 * Buffers for direct transfers start on a page, not only on a sector: a direct write from a
 * buffer 512 bytes past a page spans one page more, in pieces, and was ten times slower on the
 * CI's virtual disks. JavaScript shows no addresses; what shows is where the probe settled: at
 * the start of a page-aligned buffer (offset 0), where a malloc'd one made it skip ahead.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { directAlignerIn } from '../../../../server/src/imaging/disk/direct-io.ts';
import { tempDir } from '../pipeline/support/engine-fixtures.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('buffers for direct transfers', () => {
  it('Given the aligner of a directory, then its buffers are shared memory whose usable start is the first byte', () => {
    const aligner = directAlignerIn(tmp.dir);
    if (aligner === null) return expect.fail(`no O_DIRECT in ${tmp.dir}`);
    try {
      for (const size of [4096, 100_003, 1024 * 1024, 1024 * 1024 + 65_536]) {
        const bytes = aligner.alignedBytes(size);
        expect(bytes?.buffer).toBeInstanceOf(SharedArrayBuffer);
        expect(bytes?.byteOffset).toBe(0);
        expect(bytes?.length).toBe(size);
        expect(aligner.aligned(bytes as Uint8Array)).toBe(true);
      }
    } finally {
      aligner.close();
    }
  });
});
