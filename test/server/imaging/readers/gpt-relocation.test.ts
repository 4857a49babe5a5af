import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDisk } from '../../../../server/src/imaging/disk/open-disk.ts';
import type { DiskLayout } from '../../../../server/src/imaging/layout-types.ts';
import { checkLayoutFits } from '../../../../server/src/imaging/partitions/fit-layout.ts';
import { readGptLayout } from '../../../../server/src/imaging/partitions/gpt.ts';
import { readDiskLayout } from '../../../../server/src/imaging/partitions/read-layout.ts';
import {
  type PreservedBytes,
  relocateGptBackup,
} from '../../../../server/src/imaging/partitions/relocate-gpt.ts';
import { makeTempDir, requireTools, run } from './support/tools.ts';

const MiB = 1024 * 1024;
const tmp = makeTempDir();
afterAll(tmp.cleanup);
beforeAll(() => requireTools('sfdisk', 'truncate'));

const GPT_SCRIPT = `label: gpt
start=2048, size=20480, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system"
size=30000, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"
`;

/** A GPT disk made by sfdisk, its layout and the bytes of its preserved ranges. */
async function captureGpt(name: string, size: number, corruptPrimary = false) {
  const image = join(tmp.dir, name);
  run('truncate', ['-s', String(size), image]);
  run('sfdisk', ['-q', image], GPT_SCRIPT);
  if (corruptPrimary) {
    const fd = openSync(image, 'r+');
    writeSync(fd, Uint8Array.from([0x5a]), 0, 1, 512 + 60);
    closeSync(fd);
  }
  const disk = await openDisk(image);
  try {
    const layout = await readDiskLayout(disk);
    const preserved: PreservedBytes[] = [];
    for (const r of layout.preservedRanges) {
      const data = new Uint8Array(r.length);
      await disk.readAt(data, r.offset);
      preserved.push({ offset: r.offset, data });
    }
    return { layout, preserved };
  } finally {
    await disk.close();
  }
}

function writeTarget(name: string, size: number, pieces: readonly PreservedBytes[]): string {
  const image = join(tmp.dir, name);
  run('truncate', ['-s', String(size), image]);
  const fd = openSync(image, 'r+');
  for (const p of pieces) writeSync(fd, p.data, 0, p.data.length, p.offset);
  closeSync(fd);
  return image;
}

/** Both GPT copies of an image must check out, the backup at the image's last LBA. */
async function expectBothCopiesValid(image: string, size: number): Promise<void> {
  const disk = await openDisk(image);
  try {
    const gpt = await readGptLayout(disk);
    expect(gpt.primary?.header.alternateLba).toBe(size / 512 - 1);
    expect(gpt.backup?.header.myLba).toBe(size / 512 - 1);
  } finally {
    await disk.close();
  }
}

async function layoutOf(image: string): Promise<DiskLayout> {
  const disk = await openDisk(image);
  try {
    return await readDiskLayout(disk);
  } finally {
    await disk.close();
  }
}

describe('writing a GPT layout to a target of another size', () => {
  it('Given a GPT captured from 64 MiB, when relocated to 128 MiB, then sfdisk finds no errors and the backup sits at the new end', async () => {
    const { layout, preserved } = await captureGpt('src.img', 64 * MiB);
    const pieces = relocateGptBackup(preserved, 64 * MiB, 128 * MiB, 512);
    const target = writeTarget('bigger.img', 128 * MiB, pieces);
    expect(run('sfdisk', ['--verify', target])).toContain('No errors detected');
    const json = JSON.parse(run('sfdisk', ['-J', target])).partitiontable;
    expect(json.lastlba).toBe(128 * 2048 - 34);
    await expectBothCopiesValid(target, 128 * MiB);
    const relocated = await layoutOf(target);
    expect(relocated.partitions).toEqual(layout.partitions);
    expect(relocated.preservedRanges.at(-1)).toEqual({ offset: 128 * MiB - 33 * 512, length: 33 * 512 });
    // The backup alone must be valid: wipe the primary header and read again.
    const fd = openSync(target, 'r+');
    writeSync(fd, new Uint8Array(512), 0, 512, 512);
    closeSync(fd);
    expect((await layoutOf(target)).partitions).toEqual(layout.partitions);
  });

  it('Given a GPT whose primary header is corrupt, when relocated, then both copies on the target are rebuilt from the backup', async () => {
    const { layout, preserved } = await captureGpt('src-bad.img', 64 * MiB, true);
    const target = writeTarget(
      'rebuilt.img',
      96 * MiB,
      relocateGptBackup(preserved, 64 * MiB, 96 * MiB, 512),
    );
    expect(run('sfdisk', ['--verify', target])).toContain('No errors detected');
    await expectBothCopiesValid(target, 96 * MiB);
    expect((await layoutOf(target)).partitions).toEqual(layout.partitions);
  });

  it('Given the same GPT, when relocated to a target too small for its partitions, then a typed DISK_TOO_SMALL error', async () => {
    const { preserved } = await captureGpt('src-small.img', 64 * MiB);
    expect(() => relocateGptBackup(preserved, 64 * MiB, 20 * MiB, 512)).toThrow(
      expect.objectContaining({ name: 'PartitionTableError', code: 'DISK_TOO_SMALL' }),
    );
  });

  it('Given a captured GPT layout, when checked against targets, then too small throws and other sizes say whether the backup moves', async () => {
    const { layout } = await captureGpt('src-fit.img', 64 * MiB);
    const partitionEnd = (2048 + 20480 + 30000) * 512;
    expect(checkLayoutFits(layout, 64 * MiB)).toEqual({
      minimumSize: partitionEnd + 33 * 512,
      gptBackupMoves: false,
    });
    expect(checkLayoutFits(layout, 128 * MiB).gptBackupMoves).toBe(true);
    expect(checkLayoutFits(layout, partitionEnd + 33 * 512).gptBackupMoves).toBe(true);
    expect(() => checkLayoutFits(layout, partitionEnd + 32 * 512)).toThrow(
      expect.objectContaining({ code: 'DISK_TOO_SMALL' }),
    );
  });

  it('Given a GPT relocated to a smaller target that still holds the partitions, then sfdisk finds no errors', async () => {
    const { layout, preserved } = await captureGpt('src-shrink.img', 64 * MiB);
    const size = 40 * MiB;
    const target = writeTarget('smaller.img', size, relocateGptBackup(preserved, 64 * MiB, size, 512));
    expect(run('sfdisk', ['--verify', target])).toContain('No errors detected');
    await expectBothCopiesValid(target, size);
    expect((await layoutOf(target)).partitions).toEqual(layout.partitions);
  });
});
