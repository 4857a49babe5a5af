import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openDisk } from '../../../../../server/src/imaging/disk/open-disk.ts';
import { analyzePartition } from '../../../../../server/src/imaging/filesystems/analyze-partition.ts';
import type { ByteRange, UsedMap } from '../../../../../server/src/imaging/layout-types.ts';
import { normalizeRanges } from '../../../../../server/src/imaging/partitions/byte-ranges.ts';

const INSTALL_HINT =
  'install with: bash /work/shared/fixtures/install-tools.sh (ntfs-3g e2fsprogs dosfstools mtools fdisk partclone)';

/** Fails the test (never skips it) when a Debian tool the comparison needs is missing. */
export function requireTools(...names: string[]): void {
  const missing = names.filter((n) => {
    try {
      execFileSync('sh', ['-c', `command -v ${n}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) throw new Error(`required tools missing: ${missing.join(', ')}; ${INSTALL_HINT}`);
}

/** Runs a tool and returns its stdout; a failure shows the tool's stderr. */
export function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

export function makeTempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'brume-readers-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Analyzes a filesystem image file as one partition spanning the whole file. */
export async function analyzeImage(path: string): Promise<UsedMap> {
  const disk = await openDisk(path);
  try {
    return await analyzePartition(disk, { number: 1, start: 0, size: disk.size, typeId: 'test' });
  } finally {
    await disk.close();
  }
}

/**
 * The used ranges partclone reports in its ddrescue domain log (`-D`): `+` lines are the blocks it
 * would copy, in bytes from the start of the filesystem.
 */
export function partcloneUsedRanges(tool: string, image: string, dir: string): ByteRange[] {
  const log = join(dir, `${tool}-${basename(image)}.domain`);
  rmSync(log, { force: true });
  run(tool, ['-D', '-q', '-s', image, '-o', log]);
  const ranges: ByteRange[] = [];
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const m = /^0x([0-9A-Fa-f]+)\s+0x([0-9A-Fa-f]+)\s+\+$/.exec(line.trim());
    if (m) ranges.push({ offset: Number.parseInt(m[1]!, 16), length: Number.parseInt(m[2]!, 16) });
  }
  return normalizeRanges(ranges);
}

export function totalLength(ranges: readonly ByteRange[]): number {
  return ranges.reduce((n, r) => n + r.length, 0);
}

/** Random-ish but reproducible file content for populating test filesystems. */
export function seededBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Bytes of `path` resident in the page cache (util-linux `fincore`). */
export function pageCacheBytes(path: string): number {
  return Number(
    execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path]).toString().trim(),
  );
}
