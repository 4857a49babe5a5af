/**
 * `POST /v1/register` (PROTOCOL.md "Registration"): FOG's full and quick registration from the
 * boot menu, against the real server. A registration makes a pending host and grants nothing.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../tui/src/agent/agent.ts';
import { RegistrationRefusedError } from '../../../tui/src/client/agent-port.ts';
import {
  auditOutcomes,
  call,
  checkIn,
  createHost,
  startTransferApp,
  type TransferApp,
  uniqueMac,
} from './transfer-harness.ts';

let a: TransferApp;
beforeAll(async () => {
  a = await startTransferApp();
});
afterAll(() => a?.close());

const inventory = {
  systemManufacturer: 'QEMU',
  systemProduct: 'Standard PC',
  cpuModel: 'Test CPU',
  memoryBytes: 2147483648,
  disks: [{ device: '/dev/sda', model: 'QEMU HARDDISK', serial: 'QM0001', sizeBytes: 34359738368 }],
  nics: [{ name: 'eth0', mac: '52:54:00:00:00:01' }],
};

const register = (json: Record<string, unknown>) => call(a, 'POST', '/v1/register', { json });

/** What the database holds that a refused registration must not change. */
async function snapshot() {
  const s = a.t.app.services;
  const hosts = await s.hosts.listHosts(null, { offset: 0, limit: 1000 });
  return {
    count: await s.hosts.countHosts(),
    names: hosts.map((h) => `${h.name}:${h.macs.join(',')}`).sort(),
  };
}

/** No response of this route may carry a token, an id or anything secret. */
function expectNothingSecret(body: Record<string, unknown>) {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/brt_|token|password|secret|"id"/i);
}

describe('full registration', () => {
  it('Given an unknown MAC, when it registers with a name, a group and its inventory, then a pending host holds them and nothing is granted', async () => {
    const s = a.t.app.services;
    const group = await s.groups.createGroup({ name: `lab-${process.pid}` });
    const mac = uniqueMac();
    const r = await register({ mac, mode: 'full', name: 'reg-full-1', groupIds: [group.id], inventory });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ host: { state: 'pending', name: 'reg-full-1' } });
    expectNothingSecret(r.body);

    const host = await s.hosts.findHostByMac(mac);
    expect(host).toMatchObject({ name: 'reg-full-1', pending: true, macs: [mac] });
    const stored = await s.hosts.inventory.getInventory(host!.id);
    expect(stored).toMatchObject({
      systemManufacturer: 'QEMU',
      cpuModel: 'Test CPU',
      memoryBytes: 2147483648,
    });
    expect(stored?.disks).toEqual(inventory.disks);
    expect((await s.groups.groupsOfHost(host!.id)).map((g) => g.id)).toEqual([group.id]);

    const c = await checkIn(a, mac);
    expect(c.host.state).toBe('pending');
    expect(c.token).toBeNull();
    const audit = await s.audit.list({ action: 'client.register' }, { offset: 0, limit: 100 });
    const entry = audit.find((e) => e.targetIds.includes(host!.id));
    expect(entry).toMatchObject({
      actorUserId: null,
      actorName: `anonymous client:${mac}`,
      allowed: true,
      outcome: 'OK',
    });
  });

  it('Given a taken name, an invalid name or a bad MAC, then typed errors come back and the database is unchanged', async () => {
    const taken = await register({ mac: uniqueMac(), mode: 'full', name: 'reg-taken', inventory });
    expect(taken.status).toBe(201);
    const before = await snapshot();
    const cases: [Record<string, unknown>, number, string][] = [
      [{ mac: uniqueMac(), mode: 'full', name: 'REG-TAKEN', inventory }, 409, 'DUPLICATE_HOST_NAME'],
      [{ mac: uniqueMac(), mode: 'full', name: 'bad name!', inventory }, 400, 'INVALID_HOST_NAME'],
      [{ mac: uniqueMac(), mode: 'full', inventory }, 400, 'INVALID_HOST_NAME'],
      [{ mac: 'ff:ff:ff:ff:ff:ff', mode: 'full', name: 'reg-bcast', inventory }, 400, 'INVALID_MAC'],
      [{ mac: 'not-a-mac', mode: 'quick', inventory }, 400, 'INVALID_MAC'],
      [
        { mac: uniqueMac(), mode: 'full', name: 'reg-nogrp', groupIds: [crypto.randomUUID()], inventory },
        400,
        'INVALID_REQUEST',
      ],
      [{ mac: uniqueMac(), mode: 'sideways', inventory }, 400, 'INVALID_REQUEST'],
    ];
    for (const [json, status, code] of cases) {
      const r = await register(json);
      expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
      expectNothingSecret(r.body);
    }
    expect(await snapshot()).toEqual(before);
    const outcomes = await auditOutcomes(a, 'client.register');
    for (const code of ['DUPLICATE_HOST_NAME', 'INVALID_HOST_NAME', 'INVALID_MAC']) {
      expect(outcomes).toContain(`refused:${code}`);
    }
  });
});

describe('quick registration', () => {
  it('Given an unknown MAC, when it registers quickly, then the server names the host after its MAC and stores the inventory', async () => {
    const mac = uniqueMac();
    const r = await register({ mac, mode: 'quick', name: 'ignored', inventory });
    expect(r.status).toBe(201);
    const expected = mac.replaceAll(':', '');
    expect(r.body).toEqual({ host: { state: 'pending', name: expected } });
    const host = await a.t.app.services.hosts.findHostByMac(mac);
    expect(host).toMatchObject({ name: expected, pending: true });
    expect(await a.t.app.services.hosts.inventory.getInventory(host!.id)).toMatchObject({
      systemProduct: 'Standard PC',
    });
  });

  it('Given a MAC already on a host (registered or pending), then ALREADY_REGISTERED and nothing changes', async () => {
    const existing = await createHost(a);
    const pending = uniqueMac();
    expect((await register({ mac: pending, mode: 'quick', inventory })).status).toBe(201);
    const before = await snapshot();
    for (const mac of [existing.mac, pending, existing.mac.toUpperCase().replaceAll(':', '-')]) {
      const r = await register({ mac, mode: 'quick', inventory });
      expect({ status: r.status, code: r.body.code }).toEqual({ status: 409, code: 'ALREADY_REGISTERED' });
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('the client agent (what the boot menu calls through its agent port)', () => {
  const agentFor = (mac: string) =>
    new Agent({
      server: a.base,
      mac,
      diskPath: path.join(a.work, 'none.img'),
      stateDir: path.join(a.work, 'state'),
    });

  it('Given an unregistered machine, when the agent registers it with a name, then it is pending under that name; a taken name is a typed refusal', async () => {
    const mac = uniqueMac();
    const agent = agentFor(mac);
    expect((await agent.checkIn()).status).toEqual({ kind: 'unregistered' });
    const status = await agent.register({ name: 'reg-agent', imageId: null, groupIds: [], inventory });
    expect(status).toEqual({ kind: 'pending', name: 'reg-agent', hostId: null });
    expect((await agent.checkIn()).status).toMatchObject({ kind: 'pending', name: 'reg-agent' });

    const other = agentFor(uniqueMac());
    const refused = await other.register({ name: 'reg-agent', inventory }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RegistrationRefusedError);
    expect((refused as RegistrationRefusedError).code).toBe('DUPLICATE_HOST_NAME');
    const again = await agent.register({ inventory }).catch((e: unknown) => e);
    expect((again as RegistrationRefusedError).code).toBe('ALREADY_REGISTERED');
  });
});
