/**
 * `brume console` in a real terminal (tmux, 80x24) against a running server: full screen, panes by
 * key, live host events, help from the keymap, q quits with exit code 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { waitForSubscriptions } from '../support/server-subscriptions.ts';
import { TmuxSession } from '../tmux-driver.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const CREATE_HOST = `mutation($name: String!, $mac: String!) { createHost(input: { name: $name, macs: [$mac] }) { __typename } }`;

let t: TestApp;
let server: string;
let session: TmuxSession | null = null;
const configHome = mkdtempSync(join(tmpdir(), 'brume-tui-xdg-'));

beforeAll(async () => {
  t = await startTestApp();
  server = (await t.listen()).url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await session?.kill();
  await t?.close();
  rmSync(configHome, { recursive: true, force: true });
});

describe('brume console in tmux', () => {
  it('shows the hosts pane, a host created meanwhile, the help, and quits with 0', async () => {
    const admin = await t.createUser('ADMIN');
    await t.gql(CREATE_HOST, { token: admin.token, variables: { name: 'lab-01', mac: '52:54:00:bb:00:01' } });
    session = await TmuxSession.start(['node', 'tui/bin/brume.js', 'console', '--server', server], {
      cwd: repo,
      env: { BRUME_TOKEN: admin.token, XDG_CONFIG_HOME: configHome, NO_COLOR: '1' },
    });
    await session.waitForText('[d]ashboard', 30_000);
    await session.waitForText('1 total', 10_000);
    await session.sendKeys(['h']);
    await session.waitForText('lab-01', 10_000);
    await waitForSubscriptions(server, 4); // hosts, tasks, images, audit (ADMIN)
    await t.gql(CREATE_HOST, { token: admin.token, variables: { name: 'lab-02', mac: '52:54:00:bb:00:02' } });
    const hosts = await session.waitForText('lab-02', 10_000);
    for (const line of hosts.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    await session.sendKeys(['?']);
    await session.waitForText('search hosts by name or MAC', 5000);
    await session.sendKeys(['Escape']);
    await session.sendKeys(['q']);
    for (let i = 0; i < 200 && (await session.exitStatus()) === null; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await session.exitStatus()).toBe(0);
  });
});
