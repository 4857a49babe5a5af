/**
 * A commit whose reply was lost while the server died: after the restart the client repeats it
 * and gets the version its first commit published (the task row names it), not TASK_ENDED, so
 * the client does not report a failure for an image that was stored. The same token from another
 * MAC, or with another manifest, is still refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openLocalStore, serializeManifest } from '../../../server/src/imaging/index.ts';
import { runCapture } from '../../../tui/src/agent/capture-task.ts';
import { ProgressReporter } from '../../../tui/src/agent/progress-reporter.ts';
import { TransferClient } from '../../../tui/src/agent/transfer-client.ts';
import { type ChildServer, freePort, preparePgliteDir, startChildServer } from './child-server.ts';
import {
  call,
  checkIn,
  createHost,
  createImage,
  randomDisk,
  startCapture,
  uniqueMac,
} from './transfer-harness.ts';

let work: string;
const servers: ChildServer[] = [];
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'brume-commit-restart-'));
});
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

it('Given a committed capture, when the server is killed and restarted and the client repeats its commit, then it gets the published version; another MAC or manifest is refused', async () => {
  const dataDir = path.join(work, 'data');
  const imagesDir = path.join(work, 'images');
  fs.mkdirSync(dataDir, { recursive: true });
  await preparePgliteDir(path.join(dataDir, 'pglite'));
  const port = await freePort();
  const s = await startChildServer({ dataDir, imagesDir, port });
  servers.push(s);
  const host = await createHost(s);
  const image = await createImage(s, 'restart-commit');
  await startCapture(s, host.id, image.id);
  const disk = path.join(work, 'source.img');
  randomDisk(disk, 3, 5);

  // Given: a capture that committed (its answer lives in the server's memory only)
  const { token } = await checkIn(s, host.mac);
  const client = new TransferClient({ server: s.base, mac: host.mac, retryWindowMs: 10_000 });
  client.token = token;
  const abort = new AbortController();
  const reporter = new ProgressReporter(client, abort);
  reporter.start();
  const first = await runCapture({
    client,
    diskPath: disk,
    imageName: 'restart-commit',
    reporter,
    signal: abort.signal,
    workers: 0,
  });
  reporter.stop();
  client.close();
  const body = new TextEncoder().encode(
    serializeManifest(await openLocalStore(imagesDir).manifests.read('restart-commit')),
  );

  // When: the server dies and comes back, and the commit is sent again
  await s.stop('SIGKILL');
  const restarted = await startChildServer({ dataDir, imagesDir, port }, s.operator);
  servers.push(restarted);
  const headers = { 'content-type': 'application/json' };
  const again = await call(restarted, 'POST', '/v1/capture/commit', { token, mac: host.mac, body, headers });

  // Then: the same version as the first answer
  expect(again.status, JSON.stringify(again.body)).toBe(200);
  expect(again.body.version).toBe(first.version);
  const other = await call(restarted, 'POST', '/v1/capture/commit', {
    token,
    mac: uniqueMac(),
    body,
    headers,
  });
  expect(other.body).toMatchObject({ code: 'TASK_ENDED' });
  const changed = await call(restarted, 'POST', '/v1/capture/commit', {
    token,
    mac: host.mac,
    json: { name: 'restart-commit' },
  });
  expect(changed.body).toMatchObject({ code: 'TASK_ENDED', state: 'COMPLETE' });
}, 180_000);
