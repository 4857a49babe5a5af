/**
 * "Client System Information (Compatibility)" reads the target disk with the imaging engine's own
 * readers: on the small fixture (GPT: FAT32 ESP, NTFS, ext4) it names each filesystem and counts
 * only used bytes, compared with what the fixture builder measured (info.txt).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compatibilityLines,
  surveyCompatibility,
} from '../../../tui/src/client/system-info/disk-compatibility.ts';

const OUT = '/root/.cache/brume-fixtures/small';
let info: Record<string, string> = {};

beforeAll(() => {
  // Cached: returns at once when the fixture is already built.
  execFileSync(
    'flock',
    ['/tmp/brume-fixture.lock', '/work/shared/fixtures/build-disk.sh', '--profile', 'small', '--out', OUT],
    {
      stdio: 'ignore',
    },
  );
  info = Object.fromEntries(
    readFileSync(`${OUT}/info.txt`, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.split(/=(.*)/s, 2) as [string, string]),
  );
}, 600_000);

describe('disk compatibility survey', () => {
  it('given the small fixture, finds GPT, FAT32/NTFS/ext4 and their used bytes', async () => {
    const c = await surveyCompatibility(`${OUT}/disk.img`);
    expect(c.table).toBe('gpt');
    expect(c.sizeBytes).toBe(Number(info.disk_bytes));
    expect(c.partitions.map((p) => p.fs)).toEqual(['fat32', 'ntfs', 'ext4']);
    for (const p of c.partitions) expect(p.mode).toBe('used blocks only');
    const p2 = c.partitions[1]!;
    expect(p2.start).toBe(Number(info.p2_start_bytes));
    // The engine's used map may round to clusters and count metadata: same order as the builder's du.
    expect(p2.usedBytes).toBeGreaterThanOrEqual(Number(info.p2_used_bytes) * 0.9);
    expect(p2.usedBytes).toBeLessThan(p2.size);
    const lines = compatibilityLines(c);
    expect(lines[0]).toContain('table GPT');
    expect(lines.some((l) => l.includes('p2  ntfs'))).toBe(true);
  });

  it('given a character device (/dev/zero), refuses it instead of guessing', async () => {
    const c = await surveyCompatibility('/dev/zero').catch((e: Error) => e);
    expect(c).toBeInstanceOf(Error);
  });
});
