/**
 * Both faces in real terminals (tmux, 80x24) against a running server, on real files.
 * First, the console alone: panes by key, a host created meanwhile appears, help, q quits with 0.
 * Then one machine's story, FOG's: `brume menu` for an unknown MAC shows the unregistered menu and
 * Quick Registration makes it a pending host; the admin's console sees it arrive, approves it and
 * queues a deploy of an image already in the store (the dashboard shows the store and its dedup
 * savings); the machine boots again (`brume menu` re-run), skips the menu and runs the deploy with
 * the transfer screen reaching 100 %, while the console's tasks pane follows the task live.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blankFile,
  createImage,
  FIXTURE_DISK,
  hasFixture,
  REPO,
  seedImage,
  startTransferApp,
  type TransferApp,
} from '../../server/transfer/transfer-harness.ts';
import { waitForSubscriptions } from '../support/server-subscriptions.ts';
import { TmuxSession } from '../tmux-driver.ts';

let a: TransferApp;
const sessions: TmuxSession[] = [];
beforeAll(async () => {
  a = await startTransferApp();
});
afterAll(async () => {
  for (const s of sessions) await s.kill();
  await a?.close();
});

async function exitStatus(s: TmuxSession, timeoutMs: number): Promise<number | null> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const status = await s.exitStatus();
    if (status !== null) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

const CREATE_HOST = `mutation($name: String!, $mac: String!) { createHost(input: { name: $name, macs: [$mac] }) { __typename } }`;

// One file, so the two terminal sessions never compete with each other for the CPU.
describe('brume console in tmux', () => {
  it('console: shows the hosts pane, a host created meanwhile, the help, and quits with 0', async () => {
    const admin = await a.t.createUser('ADMIN');
    await a.t.gql(CREATE_HOST, {
      token: admin.token,
      variables: { name: 'lab-01', mac: '52:54:00:bb:00:01' },
    });
    const session = await TmuxSession.start(['node', 'tui/bin/brume.js', 'console', '--server', a.base], {
      cwd: REPO,
      env: { BRUME_TOKEN: admin.token, XDG_CONFIG_HOME: path.join(a.work, 'xdg-admin'), NO_COLOR: '1' },
    });
    sessions.push(session);
    await session.waitForText('[d]ashboard', 30_000);
    await session.waitForText('1 total', 10_000);
    await session.sendKeys(['h']);
    await session.waitForText('lab-01', 10_000);
    await waitForSubscriptions(a.base, 4); // hosts, tasks, images, audit (ADMIN)
    await a.t.gql(CREATE_HOST, {
      token: admin.token,
      variables: { name: 'lab-02', mac: '52:54:00:bb:00:02' },
    });
    const hosts = await session.waitForText('lab-02', 10_000);
    for (const line of hosts.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    await session.sendKeys(['?']);
    await session.waitForText('search hosts by name or MAC', 5000);
    await session.sendKeys(['Escape']);
    await session.waitForText('Last seen', 5000); // help closed: the hosts table is back
    const status = await session.sendUntilExit(['q']);
    expect(status, await session.capture()).toBe(0);
  }, 120_000);
});

/** Moves the menu pointer one key at a time until `label` is selected (bounded: 30 s). */
async function selectRow(s: TmuxSession, label: string, key: 'Up' | 'Down'): Promise<void> {
  const selected = new RegExp(`║ \\S ${label}`);
  const end = Date.now() + 30_000;
  for (;;) {
    const screen = await s.capture();
    if (selected.test(screen)) return;
    if (Date.now() > end) throw new Error(`row ${label} never selected:\n${screen}`);
    await s.sendKeys([key]);
    await redrawn(s, screen);
  }
}

/** One key per redraw: keys sent together may reach the program as one chunk. */
async function redrawn(s: TmuxSession, before: string): Promise<void> {
  for (const stop = Date.now() + 5000; Date.now() < stop && (await s.capture()) === before; ) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Types text into a program one character per redraw (Ink reads a burst as one chunk). */
async function typeSlowly(s: TmuxSession, text: string): Promise<void> {
  for (const ch of text) {
    const before = await s.capture();
    await s.sendKeys([ch], true);
    await redrawn(s, before);
  }
}

const HOST_BY_MAC = `query($s: String!) { hosts(first: 5, search: $s) { edges { node { name pending macs inventory { systemProduct } } } } }`;
type HostsByMac = {
  hosts: {
    edges: {
      node: {
        name: string;
        pending: boolean;
        macs: string[];
        inventory: { systemProduct: string | null } | null;
      };
    }[];
  };
};

const menuArgs = (disk: string, mac: string, inventory: string) => [
  'node',
  'tui/bin/brume.js',
  'menu',
  '--server',
  a.base,
  '--disk',
  disk,
  '--mac',
  mac,
  '--timeout',
  '0',
  '--inventory',
  inventory,
];

/** The unregistered machine registers itself from the menu (Quick Registration), then leaves it. */
async function quickRegistration(mac: string, disk: string, inventory: string, env: Record<string, string>) {
  const menu = await TmuxSession.start(menuArgs(disk, mac, inventory), { cwd: REPO, env });
  sessions.push(menu);
  await menu.waitForText('Host is NOT registered!', 30_000);
  await selectRow(menu, 'Quick Registration and Inventory', 'Down');
  await menu.sendKeys(['Enter']);
  const screen = await menu.waitForText('Host is pending approval!', 30_000);
  expect(screen).toContain(mac.replace(/:/g, ''));
  // FOG's machine now boots from its disk: Boot from hard disk leaves with 0.
  await selectRow(menu, 'Boot from hard disk', 'Up');
  await menu.sendKeys(['Enter']);
  expect(await exitStatus(menu, 20_000), await menu.capture()).toBe(0);
}

/** In the console's hosts pane: finds the host by name, approves it, and deploys the only image. */
async function approveAndDeploy(console: TmuxSession, name: string, imageName: string) {
  await console.sendKeys(['/']);
  await typeSlowly(console, name);
  await console.sendKeys(['Enter']);
  await console.waitForText(new RegExp(`${name}.*pending`, 'i'), 10_000);
  await console.sendKeys(['p']);
  await console.waitForText(`approved ${name}`, 10_000);
  await console.sendKeys(['l']);
  await console.waitForText(`Deploy to ${name}`, 10_000);
  await console.waitForText(imageName, 10_000);
  await console.sendKeys(['Enter']);
  await console.waitForText('when?', 10_000);
  await console.sendKeys(['Enter']);
  await console.waitForText('(y/n)', 10_000);
  await console.sendKeys(['y']);
  await console.waitForText('deploy queued', 10_000);
}

describe.skipIf(!hasFixture)('one machine, both faces, in tmux', () => {
  it('given an unregistered MAC, it registers, is approved and deployed from the console, and runs the deploy to 100 %', async () => {
    // Given: an image of the fixture disk in the store, a blank disk and an inventory file for the machine
    const image = await createImage(a, 'fixture-win');
    await seedImage(a, image.id, image.name, FIXTURE_DISK);
    const mac = '52:54:00:cc:00:07';
    const name = mac.replace(/:/g, ''); // quick registration names the host after its MAC
    const inventory = path.join(a.work, 'menu-inventory.json');
    const product = { systemManufacturer: 'QEMU', systemProduct: 'Menu PC', disks: [], nics: [] };
    fs.writeFileSync(inventory, JSON.stringify(product));
    const disk = path.join(a.work, 'target.img');
    blankFile(disk, fs.statSync(FIXTURE_DISK).size);
    const env = { NO_COLOR: '1', XDG_CONFIG_HOME: path.join(a.work, 'xdg'), HOME: a.work };
    const admin = await a.t.createUser('ADMIN');

    // The admin's console: the dashboard shows the store and what deduplication saves
    const console = await TmuxSession.start(['node', 'tui/bin/brume.js', 'console', '--server', a.base], {
      cwd: REPO,
      env: { ...env, BRUME_TOKEN: admin.token },
    });
    sessions.push(console);
    const dashboard = await console.waitForText(/Store .* used .* free .* chunks/, 30_000);
    expect(dashboard).toMatch(/Images\s+1 image\s+1 version\s+dedup saves/);
    await console.sendKeys(['h']);
    await console.waitForText('Last seen', 10_000);
    await waitForSubscriptions(a.base, 4); // hosts, tasks, images, audit (ADMIN)

    // When: the machine registers itself from the menu, the console sees it arrive
    await quickRegistration(mac, disk, inventory, env);
    await console.waitForText(name, 10_000);
    const hosts = await a.gql<HostsByMac>(HOST_BY_MAC, { token: a.operator, variables: { s: mac } });
    expect(hosts.data?.hosts.edges.map((e) => e.node)).toEqual([
      { name, pending: true, macs: [mac], inventory: { systemProduct: 'Menu PC' } },
    ]);

    // and the admin approves it and deploys the image to it; the tasks pane shows the task queued
    await approveAndDeploy(console, name, image.name);
    await console.sendKeys(['t']);
    await console.waitForText(new RegExp(`DEPLOY\\s+${name}`), 10_000);

    // Then: the machine boots again, skips the menu and runs its task to 100 %
    const client = await TmuxSession.start(menuArgs(disk, mac, inventory), { cwd: REPO, env });
    sessions.push(client);
    const done = await client.waitForText('✓ complete', 180_000);
    expect(done).toContain('100.0%');
    expect(done).toContain('DEPLOY');
    expect(done).not.toContain('Boot from hard disk');
    for (const line of done.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    await client.sendKeys(['Enter']);
    expect(await exitStatus(client, 20_000), await client.capture()).toBe(0);

    // and the console followed it live to COMPLETE; q asks first since this console started a transfer
    const history = await console.waitForText(new RegExp(`DEPLOY\\s+${name}\\s+.*COMPLETE`), 20_000);
    expect(history).toContain('History (');
    for (const line of history.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    await console.sendKeys(['q']);
    await console.waitForText('(y/n)', 10_000);
    expect(await console.sendUntilExit(['y']), await console.capture()).toBe(0);
  }, 300_000);
});
