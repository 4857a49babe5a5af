import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

it('Given a client inventory report, when saved twice, then Host.inventory shows the latest, with disks and NICs', async () => {
  const host = await t.app.services.hosts.createHost({ name: 'INV-1', macs: ['52:54:00:77:00:01'] });
  const inventory = t.app.services.hosts.inventory;
  await inventory.saveInventory(host.id, { cpuModel: 'old', memoryBytes: 1, primaryUser: 'gone' });
  await inventory.saveInventory(host.id, {
    systemManufacturer: 'Dell Inc.',
    systemProduct: 'OptiPlex 7090',
    biosVersion: '1.2.3',
    cpuModel: 'Intel(R) Core(TM) i5-10500',
    cpuCores: 6,
    memoryBytes: 16 * 2 ** 30,
    disks: [{ model: 'Samsung SSD 980', serial: 'S6X', sizeBytes: 500_107_862_016, removable: false }],
    nics: [{ name: 'eno1', mac: '52:54:00:77:00:01', speedMbps: 1000 }],
    otherTags: ['salle-12'],
  });
  const viewer = (await t.createUser('VIEWER')).token;
  const res = await t.gql<{ hostByMac: { inventory: Record<string, unknown> } }>(
    `{ hostByMac(mac: "52:54:00:77:00:01") { inventory { systemProduct cpuModel cpuCores memoryBytes
       disks { model serial sizeBytes removable } nics { name mac speedMbps } otherTags } } }`,
    { token: viewer },
  );
  expect(res.errors).toBeUndefined();
  expect((await inventory.getInventory(host.id))?.primaryUser).toBeNull();
  expect(res.data?.hostByMac.inventory).toEqual({
    systemProduct: 'OptiPlex 7090',
    cpuModel: 'Intel(R) Core(TM) i5-10500',
    cpuCores: 6,
    memoryBytes: 16 * 2 ** 30,
    disks: [{ model: 'Samsung SSD 980', serial: 'S6X', sizeBytes: 500_107_862_016, removable: false }],
    nics: [{ name: 'eno1', mac: '52:54:00:77:00:01', speedMbps: 1000 }],
    otherTags: ['salle-12'],
  });
});

it('Given a host without a report, then Host.inventory is null', async () => {
  const host = await t.app.services.hosts.createHost({ name: 'INV-2', macs: ['52:54:00:77:00:02'] });
  expect(await t.app.services.hosts.inventory.getInventory(host.id)).toBeUndefined();
});
