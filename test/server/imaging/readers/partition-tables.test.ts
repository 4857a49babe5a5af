import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDisk } from '../../../../server/src/imaging/disk/open-disk.ts';
import type { DiskLayout } from '../../../../server/src/imaging/layout-types.ts';
import { PartitionTableError } from '../../../../server/src/imaging/partitions/partition-errors.ts';
import { readDiskLayout } from '../../../../server/src/imaging/partitions/read-layout.ts';
import { makeTempDir, requireTools, run } from './support/tools.ts';

const MiB = 1024 * 1024;
const tmp = makeTempDir();
afterAll(tmp.cleanup);
beforeAll(() => requireTools('sfdisk', 'truncate', 'mkfs.fat'));

const MBR_SCRIPT = `label: dos
start=2048, size=20480, type=83, bootable
start=22528, size=20480, type=7
start=43008, size=80000, type=5
start=45056, size=10240, type=83
start=57344, size=10240, type=82
start=69632, size=10240, type=b
`;

const GPT_SCRIPT = `label: gpt
start=2048, size=20480, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system"
size=30000, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"
size=10000, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F
`;

function makeDisk(name: string, size: number, script: string): string {
  const image = join(tmp.dir, name);
  run('truncate', ['-s', String(size), image]);
  run('sfdisk', ['-q', image], script);
  return image;
}

interface SfdiskPartition {
  node: string;
  start: number;
  size: number;
  type: string;
  uuid?: string;
  name?: string;
  bootable?: boolean;
}

function sfdiskJson(image: string): { partitions: SfdiskPartition[]; lastlba?: number } {
  return JSON.parse(run('sfdisk', ['-J', image])).partitiontable;
}

async function layoutOf(image: string): Promise<DiskLayout> {
  const disk = await openDisk(image);
  try {
    return await readDiskLayout(disk);
  } finally {
    await disk.close();
  }
}

function patchFile(image: string, offset: number, bytes: number[]): void {
  const fd = openSync(image, 'r+');
  writeSync(fd, Uint8Array.from(bytes), 0, bytes.length, offset);
  closeSync(fd);
}

/**
 * Corrupts one byte whatever it held: writing a constant into a random field (the disk GUID) left
 * the header intact when the byte already had that value, 1 run in 256.
 */
function flipByte(image: string, offset: number): void {
  const fd = openSync(image, 'r+');
  const byte = new Uint8Array(1);
  readSync(fd, byte, 0, 1, offset);
  writeSync(fd, Uint8Array.of((byte[0] as number) ^ 0xff), 0, 1, offset);
  closeSync(fd);
}

function readSector(image: string, offset: number): Uint8Array {
  const fd = openSync(image, 'r');
  const sector = new Uint8Array(512);
  readSync(fd, sector, 0, 512, offset);
  closeSync(fd);
  return sector;
}

function expectSortedDisjoint(layout: DiskLayout): void {
  for (let i = 1; i < layout.preservedRanges.length; i++) {
    const a = layout.preservedRanges[i - 1]!;
    expect(layout.preservedRanges[i]!.offset).toBeGreaterThan(a.offset + a.length);
  }
}

describe('MBR partition tables', () => {
  it('Given sfdisk made 2 primaries and an extended partition with 3 logicals, when read, then all 5 match sfdisk', async () => {
    const image = makeDisk('mbr.img', 64 * MiB, MBR_SCRIPT);
    const layout = await layoutOf(image);
    const expected = sfdiskJson(image).partitions.filter((p) => p.type !== '5');
    expect(layout.table).toBe('mbr');
    expect(layout.partitions).toEqual(
      expected.map((p) => ({
        number: Number(/(\d+)$/.exec(p.node)![1]),
        start: p.start * 512,
        size: p.size * 512,
        typeId: `0x${p.type.padStart(2, '0')}`,
        bootable: p.bootable === true,
      })),
    );
    expect(layout.partitions.map((p) => p.number)).toEqual([1, 2, 5, 6, 7]);
  });

  it('Given that MBR, when read, then the head and each EBR sector (inside the extended, before its logical) are preserved', async () => {
    const image = makeDisk('mbr-ebr.img', 64 * MiB, MBR_SCRIPT);
    const layout = await layoutOf(image);
    expect(layout.preservedRanges[0]).toEqual({ offset: 0, length: 2048 * 512 });
    const ebrs = layout.preservedRanges.slice(1);
    expect(ebrs).toHaveLength(3);
    const logicals = layout.partitions.filter((p) => p.number >= 5);
    ebrs.forEach((r, i) => {
      expect(r.length).toBe(512);
      expect(r.offset).toBeGreaterThanOrEqual(43008 * 512);
      expect(r.offset).toBeLessThan(logicals[i]!.start);
      const sector = readSector(image, r.offset);
      expect([sector[510], sector[511]]).toEqual([0x55, 0xaa]);
    });
    expectSortedDisjoint(layout);
  });

  it('Given an EBR whose link points back to the first EBR, when read, then a typed EBR_CHAIN_INVALID error', async () => {
    const image = makeDisk('mbr-loop.img', 64 * MiB, MBR_SCRIPT);
    const second = (await layoutOf(image)).preservedRanges[2]!;
    // Entry 2 of an EBR links to the next EBR, relative to the extended start: 0 is the first EBR.
    patchFile(image, second.offset + 446 + 16 + 8, [0, 0, 0, 0]);
    await expect(layoutOf(image)).rejects.toMatchObject({
      name: 'PartitionTableError',
      code: 'EBR_CHAIN_INVALID',
    });
  });

  it('Given a primary partition past the disk end, when read, then a typed PARTITION_OUT_OF_RANGE error', async () => {
    const image = makeDisk('mbr-range.img', 64 * MiB, MBR_SCRIPT);
    patchFile(image, 446 + 12, [0xff, 0xff, 0xff, 0x00]);
    await expect(layoutOf(image)).rejects.toMatchObject({ code: 'PARTITION_OUT_OF_RANGE' });
  });
});

describe('GPT partition tables', () => {
  function expectedGpt(image: string) {
    return sfdiskJson(image).partitions.map((p) => ({
      number: Number(/(\d+)$/.exec(p.node)![1]),
      start: p.start * 512,
      size: p.size * 512,
      typeId: p.type.toLowerCase(),
      uuid: p.uuid!.toLowerCase(),
      name: p.name ?? '',
    }));
  }

  it('Given sfdisk made a GPT with 3 partitions, when read, then they match sfdisk and both table areas are preserved', async () => {
    const image = makeDisk('gpt.img', 64 * MiB, GPT_SCRIPT);
    const layout = await layoutOf(image);
    expect(layout.table).toBe('gpt');
    expect(layout.partitions).toEqual(expectedGpt(image));
    const lastLba = 64 * 2048 - 1;
    expect(layout.preservedRanges).toEqual([
      { offset: 0, length: 2048 * 512 },
      { offset: (lastLba - 32) * 512, length: 33 * 512 },
    ]);
  });

  it('Given a corrupted primary GPT header, when read, then the partitions come from the backup', async () => {
    const image = makeDisk('gpt-bad-primary.img', 64 * MiB, GPT_SCRIPT);
    const expected = expectedGpt(image);
    flipByte(image, 512 + 60); // in the disk GUID: the header's CRC no longer matches
    const layout = await layoutOf(image);
    expect(layout.partitions).toEqual(expected);
  });

  it('Given a corrupted primary entry array, when read, then the partitions come from the backup', async () => {
    const image = makeDisk('gpt-bad-entries.img', 64 * MiB, GPT_SCRIPT);
    const expected = expectedGpt(image);
    patchFile(image, 1024 + 40, [0x99]);
    expect((await layoutOf(image)).partitions).toEqual(expected);
  });

  it('Given both GPT headers corrupted, when read, then a typed GPT_BOTH_HEADERS_CORRUPT error', async () => {
    const image = makeDisk('gpt-bad-both.img', 64 * MiB, GPT_SCRIPT);
    flipByte(image, 512 + 60); // in the disk GUID: the header's CRC no longer matches
    flipByte(image, 64 * MiB - 512 + 60);
    const err = await layoutOf(image).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartitionTableError);
    expect(err).toMatchObject({ code: 'GPT_BOTH_HEADERS_CORRUPT' });
  });
});

describe('image files of 4Kn disks', () => {
  it('Given a GPT written for 4096-byte sectors into an image file, when read, then the layout is found in 4 KiB sectors', async () => {
    requireTools('losetup');
    const image = join(tmp.dir, 'gpt-4k.img');
    run('truncate', ['-s', String(64 * MiB), image]);
    // sfdisk takes the sector size from the device: write the table through a 4 KiB-sector loop device.
    const loop = run('losetup', ['--find', '--show', '--sector-size', '4096', image]).trim();
    try {
      const script = 'label: gpt\nstart=256, size=2048, type=L\nsize=1024, type=S\n';
      run('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', loop], script);
    } finally {
      run('losetup', ['-d', loop]);
    }
    const layout = await layoutOf(image);
    expect(layout.sectorSize).toBe(4096);
    expect(layout.partitions.map((p) => [p.number, p.start, p.size])).toEqual([
      [1, 256 * 4096, 2048 * 4096],
      [2, 2304 * 4096, 1024 * 4096],
    ]);
    expect(layout.preservedRanges).toEqual([
      { offset: 0, length: 256 * 4096 },
      { offset: 64 * MiB - 5 * 4096, length: 5 * 4096 },
    ]);
  });
});

describe('disks without a partition table', () => {
  it('Given a FAT filesystem on the whole disk (superfloppy), when read, then table none with one whole-disk pseudo-partition', async () => {
    const image = join(tmp.dir, 'superfloppy.img');
    run('truncate', ['-s', String(32 * MiB), image]);
    run('mkfs.fat', ['-F', '16', image]);
    const layout = await layoutOf(image);
    expect(layout.table).toBe('none');
    expect(layout.partitions).toEqual([{ number: 0, start: 0, size: 32 * MiB, typeId: 'none' }]);
    expect(layout.preservedRanges).toEqual([]);
  });
});
