import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_TYPES, OS_TYPES } from '../../../server/src/images/image-kinds.ts';
import { startTestApp, type TestApp, type TestUser } from '../../support/app.ts';
import { serveBootChain } from './boot-chain-server.ts';
import { checkIpxeScript } from './ipxe-syntax.ts';

/**
 * The boot chain over the real services and database (PGlite), reached through a real HTTP socket
 * the way iPXE reaches it: GET for the menu, a form POST for the login rows.
 */

const NOW = new Date('2026-03-04T05:06:07Z');
const UNKNOWN = '52:54:00:aa:00:01';
const PENDING = '52:54:00:aa:00:02';
const REGISTERED = '52:54:00:aa:00:03';
const WITH_TASK = '52:54:00:aa:00:04';

let t: TestApp;
let chain: Awaited<ReturnType<typeof serveBootChain>>;
let base: string;
let operator: TestUser;
let viewer: TestUser;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApp();
  const s = t.app.services;
  chain = await serveBootChain(
    t,
    { BRUME_BOOT_KERNEL_URL: 'http://10.0.0.1/k', BRUME_BOOT_INITRD_URL: 'http://10.0.0.1/i' },
    () => NOW,
  );
  base = chain.base;
  ids.pending = (await s.hosts.registerHost({ macs: [PENDING] })).id;
  ids.registered = (await s.hosts.createHost({ name: 'lab-pc-01', macs: [REGISTERED] })).id;
  ids.withTask = (await s.hosts.createHost({ name: 'lab-pc-02', macs: [WITH_TASK] })).id;
  const [task] = await s.tasks.startInventory({ hostIds: [ids.withTask] }, { userId: null });
  ids.task = task!.id;
  ids.image = (
    await s.images.createImage({ name: 'win11-lab', osType: OS_TYPES[0], imageType: IMAGE_TYPES[0] })
  ).id;
  operator = await t.createUser('OPERATOR');
  viewer = await t.createUser('VIEWER');
});

afterAll(async () => {
  await chain.close();
  await t.close();
});

async function get(mac: string): Promise<string> {
  const res = await fetch(`${base}/boot.ipxe?mac=${mac}&arch=x86_64&platform=efi`);
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(checkIpxeScript(text).errors).toEqual([]);
  return text;
}

async function post(fields: Record<string, string>): Promise<string> {
  const res = await fetch(`${base}/boot.ipxe`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(checkIpxeScript(text).errors).toEqual([]);
  expect(text).not.toContain(fields.password ?? '\0');
  return text;
}

const auditActions = async () =>
  (await t.app.services.audit.list({}, { offset: 0, limit: 50 })).map((a) => `${a.action}:${a.allowed}`);

describe('BootDirectory adapter over the real services', () => {
  it('Given the three host states in the database, then the three FOG headers, pointing back at the Host iPXE used', async () => {
    expect(await get(UNKNOWN)).toContain('Host is NOT registered!');
    expect(await get(PENDING)).toContain('Host is pending approval!');
    const registered = await get(REGISTERED);
    expect(registered).toContain('Host is registered as lab-pc-01!');
    expect(registered).toContain(`chain ${base}/boot.ipxe##params`);
  });

  it('Given a host with a queued inventory task, then it boots straight into it; its last-seen is updated', async () => {
    const script = await get(WITH_TASK);
    expect(script).toContain(`brume.task=${ids.task} brume.kind=inventory`);
    const host = await t.app.services.hosts.getHost(ids.withTask as string);
    expect(host?.lastSeenAt?.toISOString()).toBe(NOW.toISOString());
    expect(host?.online).toBe(true);
    expect(host?.lastAddress).toBe('127.0.0.1');
  });

  it('Given a wrong password or a viewer, then "Invalid login", the refusal audited and no other row changed', async () => {
    const before = await t.db.snapshot({ exclude: ['audit_entries', 'hosts'] });
    for (const creds of [
      { username: operator.user.username, password: 'not-it' },
      { username: viewer.user.username, password: viewer.password },
    ]) {
      expect(await post({ mac: REGISTERED, action: 'delete', ...creds })).toContain('menu Invalid login');
    }
    expect(await t.app.services.hosts.getHost(ids.registered as string)).toBeTruthy();
    expect(await t.db.snapshot({ exclude: ['audit_entries', 'hosts'] })).toEqual(before);
    expect(await auditActions()).toEqual(['pxe.login:false', 'pxe.login:false']);
  });

  it('Given an operator approving the pending host, then it is approved with an inventory task it boots into next', async () => {
    const back = await post({
      mac: PENDING,
      action: 'approve',
      username: operator.user.username,
      password: operator.password,
    });
    expect(back).toContain('echo Host approved');
    const host = await t.app.services.hosts.getHost(ids.pending as string);
    expect(host?.pending).toBe(false);
    expect(await get(PENDING)).toMatch(/brume\.task=[0-9a-f-]{36} brume\.kind=inventory/);
    expect(await auditActions()).toContain('pxe.approveHost:true');
  });

  it('Given Deploy Image, then the image menu lists the database images; an image without a version is refused on screen', async () => {
    const creds = { username: operator.user.username, password: operator.password };
    const menu = await post({ mac: REGISTERED, action: 'deploy', ...creds });
    expect(menu).toContain('item brume.img.0 win11-lab');
    expect(menu).toContain(`param image ${ids.image}`);
    const refused = await post({ mac: REGISTERED, action: 'deploy', image: ids.image as string, ...creds });
    expect(refused).toContain('menu Deploy Image');
    expect(refused).not.toContain('kernel ');
  });

  it('Given Join Multicast Session by an operator, then an unknown name is refused on screen and an open session boots into its MULTICAST task', async () => {
    const s = t.app.services;
    const mac = '52:54:00:aa:00:05';
    const host = await s.hosts.createHost({ name: 'lab-pc-05', macs: [mac] });
    const image = await s.images.createImage({
      name: 'mc-lab',
      osType: OS_TYPES[0],
      imageType: IMAGE_TYPES[0],
    });
    await s.images.publishImageVersion({
      imageId: image.id,
      sizeBytes: 1 << 20,
      storedBytes: 1 << 19,
      blockCount: 1,
      manifestHash: 'b'.repeat(64),
    });
    await s.multicast.createMulticastSession(
      { name: 'room-5', imageId: image.id, minReceivers: 1, maxWaitSeconds: 60 },
      { userId: null },
    );
    const creds = { username: operator.user.username, password: operator.password };
    const refused = await post({ mac, action: 'multicast', session: 'no-such-room', ...creds });
    expect(refused).toContain('No such multicast session');
    expect(refused).not.toContain('kernel ');
    const booted = await post({ mac, action: 'multicast', session: 'ROOM-5', ...creds });
    const [task] = await s.tasks.listTasks({ hostId: host.id }, { offset: 0, limit: 5 });
    expect(task).toMatchObject({ type: 'MULTICAST', state: 'QUEUED' });
    expect(booted).toContain(`brume.task=${task!.id} brume.kind=multicast`);
    expect(await auditActions()).toContain('pxe.joinMulticastSession:true');
  });

  it('Given Quick Host Deletion by an operator, then the host is gone and the menu says NOT registered', async () => {
    const back = await post({
      mac: REGISTERED,
      action: 'delete',
      username: operator.user.username,
      password: operator.password,
    });
    expect(back).toContain('echo Host deleted');
    expect(await t.app.services.hosts.getHost(ids.registered as string)).toBeUndefined();
    expect(await get(REGISTERED)).toContain('Host is NOT registered!');
    expect(await auditActions()).toContain('pxe.deleteHost:true');
  });
});
