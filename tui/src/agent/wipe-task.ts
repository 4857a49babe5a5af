/**
 * FOG's wipes, with pre-flight and per-region progress. Fast: zeros over the first 100 000
 * sectors (FOG's `dd ... bs=512 count=100000`); normal: one pass of pseudo-random data over the
 * whole disk; full: three such passes, then zeros. Random data is an AES-CTR keystream (fast,
 * not predictable from outside), generated per region.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { openDisk } from '@brume/server/imaging';
import { assertTarget } from './preflight.ts';
import type { ProgressReporter } from './progress-reporter.ts';

export type WipeMode = 'fast' | 'normal' | 'full';

const REGION = 4 * 1024 * 1024;
export const FAST_WIPE_BYTES = 100_000 * 512;

export type WipePass = 'zero' | 'random';

export function wipePasses(mode: WipeMode): WipePass[] {
  if (mode === 'fast') return ['zero'];
  if (mode === 'normal') return ['random'];
  return ['random', 'random', 'random', 'zero'];
}

export interface WipeTaskOptions {
  readonly diskPath: string;
  readonly mode: WipeMode;
  readonly pinnedSerial: string | null;
  readonly reporter: ProgressReporter;
  readonly signal: AbortSignal;
  readonly start: (blocksTotal: number, bytesTotal: number) => Promise<void>;
  readonly sysfsRoot?: string;
}

export async function runWipe(o: WipeTaskOptions): Promise<{ bytesWritten: number }> {
  const target = await assertTarget(
    o.diskPath,
    { requiredBytes: 0, pinnedSerial: o.pinnedSerial },
    o.sysfsRoot,
  );
  const span = o.mode === 'fast' ? Math.min(FAST_WIPE_BYTES, target.size) : target.size;
  const passes = wipePasses(o.mode);
  const regions = Math.ceil(span / REGION);
  o.reporter.totals(regions * passes.length, span * passes.length);
  await o.start(regions * passes.length, span * passes.length);
  const disk = await openDisk(o.diskPath, { write: true });
  // A full wipe writes the whole disk once per pass: from a buffer the disk writes with O_DIRECT,
  // so the page cache does not copy (and then evict) every byte of it.
  const buffer = disk.alignedBytes?.(REGION) ?? new Uint8Array(REGION);
  let written = 0;
  try {
    for (const [p, pass] of passes.entries()) {
      o.reporter.phase(`pass ${p + 1}/${passes.length} ${pass}`);
      const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
      for (let r = 0; r < regions; r++) {
        o.signal.throwIfAborted();
        const offset = r * REGION;
        const length = Math.min(REGION, span - offset);
        if (pass === 'zero') buffer.fill(0);
        else buffer.set(cipher.update(new Uint8Array(length)));
        await disk.writeAt(buffer, offset, length);
        written += length;
        o.reporter.block(p * regions + r, 'written', length);
      }
      await disk.sync();
    }
  } finally {
    await disk.close();
  }
  return { bytesWritten: written };
}
