/**
 * Both faces in real terminals (tmux, 80x24) against a running server, on real files: a reference
 * image is captured from the small fixture by the headless client, a deploy is queued for a target
 * host, `brume menu` on the target skips the menu (FOG: a pending task runs at once) and its transfer
 * screen reaches 100 %, while `brume console` shows the task live from queued to complete.
 * Not covered here: registration from the menu (the server does not serve it to clients yet).
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
    expect(await exitStatus(client, 20_000)).toBe(0);

    // Then: the console saw the task finish, live
    const history = await console.waitForText(/DEPLOY\s+h\S+\s+.*COMPLETE/, 20_000);
    expect(history).toContain('History (');
    await console.sendKeys(['q']);
    expect(await exitStatus(console, 20_000)).toBe(0);
  }, 300_000);
});
