/** Inventory collection from a fake /sys and /proc tree (the collector's roots are parameters). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collectInventory, parseCpuInfo, parseMemTotal } from '../../../tui/src/agent/inventory.ts';

let root: string;
const write = (rel: string, text: string) => {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${text}\n`);
};

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'brume-inv-'));
  write('sys/class/dmi/id/sys_vendor', 'Dell Inc.');
  write('sys/class/dmi/id/product_name', 'OptiPlex 7010');
  write('sys/class/dmi/id/product_serial', 'ABC123');
  write('sys/class/dmi/id/bios_version', 'A29');
  write('sys/class/block/sda/size', '1000215216');
  write('sys/class/block/sda/removable', '0');
  write('sys/class/block/sda/device/model', 'Samsung SSD 860');
  write('sys/class/block/sda/device/serial', 'S3Z9NB0K');
  write('sys/class/block/sda1/partition', '1');
  write('sys/class/block/loop0/size', '100');
  write('sys/class/block/sdb/size', '60555264');
  write('sys/class/block/sdb/removable', '1');
  write('sys/class/net/lo/address', '00:00:00:00:00:00');
  write('sys/class/net/eno1/address', '52:54:00:12:34:56');
  write('sys/class/net/eno1/speed', '1000');
  write(
    'proc/cpuinfo',
    'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM) i5-3470\ncpu MHz\t\t: 3200.000\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\n',
  );
  write('proc/meminfo', 'MemTotal:        8048576 kB\nMemFree:         1000 kB');
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

it('Given a machine tree, when the inventory is collected, then DMI, CPU, memory, whole disks and NICs are reported as FOG names them', async () => {
  const inv = await collectInventory({ sys: path.join(root, 'sys'), proc: path.join(root, 'proc') });
  expect(inv).toMatchObject({
    systemManufacturer: 'Dell Inc.',
    systemProduct: 'OptiPlex 7010',
    systemSerial: 'ABC123',
    biosVersion: 'A29',
    cpuManufacturer: 'GenuineIntel',
    cpuModel: 'Intel(R) Core(TM) i5-3470',
    cpuCores: 2,
    cpuCurrentSpeedMhz: 3200,
    memoryBytes: 8048576 * 1024,
  });
  expect(inv.disks).toEqual([
    {
      device: '/dev/sda',
      model: 'Samsung SSD 860',
      firmware: null,
      serial: 'S3Z9NB0K',
      sizeBytes: 1000215216 * 512,
      removable: false,
    },
    {
      device: '/dev/sdb',
      model: null,
      firmware: null,
      serial: null,
      sizeBytes: 60555264 * 512,
      removable: true,
    },
  ]);
  expect(inv.nics).toEqual([{ name: 'eno1', mac: '52:54:00:12:34:56', driver: null, speedMbps: 1000 }]);
});

it('Given odd /proc text, the parsers return nulls rather than guesses', () => {
  expect(parseCpuInfo('')).toEqual({
    cpuManufacturer: null,
    cpuModel: null,
    cpuCurrentSpeedMhz: null,
    cpuCores: null,
  });
  expect(parseMemTotal('MemTotal: lots')).toBeNull();
});
