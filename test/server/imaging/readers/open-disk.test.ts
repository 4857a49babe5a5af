import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskAccessError } from '../../../../server/src/imaging/disk/disk-errors.ts';
import { describeDisk, openDisk } from '../../../../server/src/imaging/disk/open-disk.ts';
import { readSysfsBlockInfo } from '../../../../server/src/imaging/disk/sysfs-identity.ts';
import { readDiskLayout } from '../../../../server/src/imaging/partitions/read-layout.ts';
import { makeTempDir, requireTools, run, seededBytes } from './support/tools.ts';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

function imageFile(name: string, bytes: Uint8Array): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('openDisk on image files', () => {
  it('Given an image file, when opened, then size is the file size, sectors are 512 bytes and reads return its bytes', async () => {
    const content = seededBytes(1, 10_000);
    const disk = await openDisk(imageFile('a.img', content));
    try {
      expect(disk.size).toBe(10_000);
      expect(disk.sectorSize).toBe(512);
      expect(disk.identity).toEqual({});
      const buf = new Uint8Array(100);
      await disk.readAt(buf, 9_900);
      expect(Buffer.from(buf)).toEqual(content.subarray(9_900));
      await disk.readAt(buf, 10, 20);
      expect(Buffer.from(buf.subarray(0, 20))).toEqual(content.subarray(10, 30));
    } finally {
      await disk.close();
    }
  });

  it('Given an open disk, when reading past its end or at a negative offset, then a typed OUT_OF_RANGE error', async () => {
    const disk = await openDisk(imageFile('b.img', new Uint8Array(4096)));
    try {
      await expect(disk.readAt(new Uint8Array(10), 4090)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
      await expect(disk.readAt(new Uint8Array(10), -1)).rejects.toBeInstanceOf(DiskAccessError);
      await expect(disk.readAt(new Uint8Array(10), 0, 11)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    } finally {
      await disk.close();
    }
  });

  it('Given a file that shrinks after opening, when reading its old end, then a typed SHORT_READ error', async () => {
    const path = imageFile('c.img', new Uint8Array(8192));
    const disk = await openDisk(path);
    try {
      truncateSync(path, 1000);
      await expect(disk.readAt(new Uint8Array(512), 4096)).rejects.toMatchObject({ code: 'SHORT_READ' });
    } finally {
      await disk.close();
    }
  });

  it('Given a disk opened read-only, when writing, then a typed READ_ONLY error; opened for write, writes land', async () => {
    const path = imageFile('d.img', new Uint8Array(4096));
    const ro = await openDisk(path);
    await expect(ro.writeAt(new Uint8Array([1]), 0)).rejects.toMatchObject({ code: 'READ_ONLY' });
    await ro.close();
    const rw = await openDisk(path, { write: true });
    try {
      await rw.writeAt(Uint8Array.from([7, 8, 9]), 4093);
      await rw.sync();
      await expect(rw.writeAt(new Uint8Array(4), 4093)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
      const back = new Uint8Array(3);
      await rw.readAt(back, 4093);
      expect([...back]).toEqual([7, 8, 9]);
    } finally {
      await rw.close();
    }
  });

  it('Given a directory, when described, then a typed NOT_A_DISK error', async () => {
    await expect(describeDisk(tmp.dir)).rejects.toMatchObject({ code: 'NOT_A_DISK' });
  });
});

describe('block devices', () => {
  it('Given a sysfs tree, when read, then size is in 512-byte units and identity comes from device/*', async () => {
    const root = join(tmp.dir, 'sys');
    const dev = join(root, 'sdz');
    mkdirSync(join(dev, 'device'), { recursive: true });
    mkdirSync(join(dev, 'queue'), { recursive: true });
    writeFileSync(join(dev, 'size'), '2048\n');
    writeFileSync(join(dev, 'queue', 'logical_block_size'), '4096\n');
    writeFileSync(join(dev, 'queue', 'rotational'), '0\n');
    writeFileSync(join(dev, 'removable'), '1\n');
    writeFileSync(join(dev, 'device', 'model'), 'Brume Disk      \n');
    writeFileSync(join(dev, 'device', 'serial'), 'SN123\n');
    expect(await readSysfsBlockInfo('/dev/sdz', root)).toEqual({
      sizeBytes: 2048 * 512,
      logicalSectorSize: 4096,
      identity: { model: 'Brume Disk', serial: 'SN123', removable: true, rotational: false },
    });
  });

  it('Given a SCSI disk reached through a by-id symlink, when read, then sysfs is found by kernel name and the serial comes from VPD page 0x80', async () => {
    const root = join(tmp.dir, 'sys2');
    const dev = join(root, 'sdy');
    mkdirSync(join(dev, 'device'), { recursive: true });
    writeFileSync(join(dev, 'size'), '100\n');
    const serial = Buffer.from('  WD-ABC123      ', 'latin1');
    writeFileSync(
      join(dev, 'device', 'vpd_pg80'),
      Buffer.concat([Buffer.from([0, 0x80, 0, serial.length]), serial]),
    );
    const target = join(tmp.dir, 'sdy');
    writeFileSync(target, '');
    const link = join(tmp.dir, 'ata-WDC_WD10-ABC123');
    symlinkSync(target, link);
    expect(await readSysfsBlockInfo(link, root)).toEqual({
      sizeBytes: 100 * 512,
      identity: { serial: 'WD-ABC123' },
    });
  });

  it('Given a loop device with 4 KiB sectors over a GPT image, when opened, then size and sector size come from sysfs and the table reads', async () => {
    requireTools('losetup', 'sfdisk', 'truncate');
    const image = join(tmp.dir, 'loop.img');
    run('truncate', ['-s', String(16 * 1024 * 1024), image]);
    const loop = run('losetup', ['--find', '--show', '--sector-size', '4096', image]).trim();
    try {
      run(
        'sfdisk',
        ['-q', '--no-reread', '--no-tell-kernel', loop],
        'label: gpt\nstart=256, size=1024, type=L\n',
      );
      const desc = await describeDisk(loop);
      expect(desc).toMatchObject({ size: 16 * 1024 * 1024, sectorSize: 4096, isBlockDevice: true });
      const disk = await openDisk(loop);
      try {
        const layout = await readDiskLayout(disk);
        expect(layout.sectorSize).toBe(4096);
        expect(layout.partitions).toMatchObject([{ number: 1, start: 256 * 4096, size: 1024 * 4096 }]);
      } finally {
        await disk.close();
      }
    } finally {
      run('losetup', ['-d', loop]);
    }
  });
});
