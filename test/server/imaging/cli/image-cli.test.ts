import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blankDisk,
  diskFiles,
  SMALL_DIR,
  smallFixture,
  tempDir,
} from '../pipeline/support/engine-fixtures.ts';

const run = promisify(execFile);
const BRUME = join(import.meta.dirname, '../../../../tui/bin/brume.js');
const tmp = tempDir('brume-cli-');
const store = join(tmp.dir, 'store');
let disk = '';
afterAll(tmp.cleanup);
beforeAll(() => {
  disk = smallFixture();
});

/** Runs `brume image ...` as a real process; stdout, stderr and the exit code. */
async function brume(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [BRUME, 'image', ...args], { maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) as string);

describe('brume image (real process)', () => {
  it('Given a disk, when captured, inspected, verified, deployed and collected with --json, then each prints one JSON result and exits 0', async () => {
    const cap = await brume('capture', '--disk', disk, '--store', store, '--name', 'small', '--json');
    expect(cap.code).toBe(0);
    expect(cap.stderr).toBe(''); // not a TTY: no progress
    const captured = lastJson(cap.stdout);
    expect(captured.version).toBe(1);
    expect(captured.stats.blocksTotal).toBeGreaterThan(0);

    const info = lastJson((await brume('info', '--store', store, '--name', 'small', '--json')).stdout);
    expect(info.partitions.map((p: { fs: string }) => p.fs)).toEqual(['fat32', 'ntfs', 'ext4']);
    expect(info.versions).toEqual([1]);

    const verify = await brume('verify', '--store', store, '--name', 'small', '--json');
    expect(verify.code).toBe(0);
    expect(lastJson(verify.stdout).ok).toBe(true);

    const target = blankDisk(join(tmp.dir, 'deployed.img'), info.disk.size);
    const dep = await brume(
      'deploy',
      '--store',
      store,
      '--name',
      'small',
      '--disk',
      target,
      '--verify',
      '--json',
      '--done-map',
      join(tmp.dir, 'dm'),
    );
    expect(dep.code).toBe(0);
    expect(lastJson(dep.stdout).stats.blocksVerified).toBe(captured.stats.blocksTotal);
    expect(diskFiles(target)).toBe(readFileSync(join(SMALL_DIR, 'files.sha256'), 'utf8'));

    const gc = await brume('gc', '--store', store, '--json');
    expect(gc.code).toBe(0);
    expect(lastJson(gc.stdout)).toMatchObject({ removed: 0, missing: [] });
  });

  it('Given a corrupted chunk, when verified, then it exits 1 and names the chunk', async () => {
    const manifest = JSON.parse(readFileSync(join(store, 'images/small/versions/1/manifest.json'), 'utf8'));
    const hash: string = manifest.blocks[0].hash;
    const path = join(store, 'chunks', hash.slice(0, 2), hash.slice(2, 4), `${hash}.zst`);
    const original = readFileSync(path);
    const bad = Buffer.from(original);
    bad.writeUInt8(bad.readUInt8(bad.length - 8) ^ 0x04, bad.length - 8);
    writeFileSync(path, bad);
    try {
      const v = await brume('verify', '--store', store, '--name', 'small');
      expect(v.code).toBe(1);
      expect(v.stdout).toContain(hash);
    } finally {
      writeFileSync(path, original);
    }
  });

  it('Given bad usage, then it exits 2 with a message on stderr', async () => {
    expect((await brume('capture', '--store', store)).code).toBe(2);
    expect((await brume('frobnicate', '--store', store)).code).toBe(2);
    expect((await brume('info', '--store', store, '--name', '--bogus')).code).toBe(2);
    const badName = await brume('info', '--store', store, '--name', '../etc', '--json');
    expect(badName.code).toBe(2);
    expect(lastJson(badName.stdout).error.code).toBe('INVALID_IMAGE_NAME');
    expect(badName.stderr).toContain('invalid image name');
  });

  it('Given an image that does not exist, then it exits 1', async () => {
    const r = await brume('info', '--store', store, '--name', 'nothing-here');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing-here');
  });
});
