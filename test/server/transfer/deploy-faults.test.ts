/**
 * Deploy robustness with the client as a child process: pre-flight refusals before any write,
 * resume after the client is killed (fewer bytes fetched), cancel stops the client within seconds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Manifest } from '../../../server/src/imaging/index.ts';
import { preflightProblem } from '../../../tui/src/agent/preflight.ts';
import { type SlowRelay, startSlowRelay } from './slow-relay.ts';
import {
  blankFile,
  blockHashes,
  cancelTask,
  createHost,
  createImage,
  randomDisk,
  rawId,
  runClient,
  seedImage,
  startDeploy,
  startTransferApp,
  type TransferApp,
  taskState,
  until,
} from './transfer-harness.ts';

let a: TransferApp;
/** The client's way to the server for the tests that act mid-deploy: 8 MB/s, ~17 s for the image. */
let slow: SlowRelay;
let image: { id: string; name: string };
let manifest: Manifest;
const MIB = 1 << 20;

beforeAll(async () => {
  a = await startTransferApp();
  const source = path.join(a.work, 'source.img');
  randomDisk(source, 128);
  image = await createImage(a);
  manifest = await seedImage(a, image.id, image.name, source);
  slow = await startSlowRelay(a.base, 8_000_000);
});
afterAll(async () => {
  await slow?.close();
  await a?.close();
});

const args = (disk: string, mac: string, server = a.base) => [
  '--server',
  server,
  '--disk',
  disk,
  '--mac',
  mac,
  '--state-dir',
  path.join(a.work, 'state'),
];
const isBlank = (file: string) => fs.readFileSync(file).every((b) => b === 0);

it('Given a target smaller than the image, when the deploy runs, then it fails before any write', async () => {
  const host = await createHost(a);
  const task = await startDeploy(a, host.id, image.id);
  const disk = path.join(a.work, 'small.img');
  blankFile(disk, 16 * MIB);
  const r = await runClient(args(disk, host.mac)).done;
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/needs \d+/);
  expect((await taskState(a, task.rawId))?.state).toBe('FAILED');
  expect((await taskState(a, task.rawId))?.failureReason).toMatch(/holds 16777216 bytes/);
  expect(isBlank(disk)).toBe(true);
}, 240_000);

it('Given a missing target, or a host pinning another serial, when the deploy runs, then it fails with the reason and writes nothing', async () => {
  const missing = await createHost(a);
  const t1 = await startDeploy(a, missing.id, image.id);
  const r1 = await runClient(args(path.join(a.work, 'nope.img'), missing.mac)).done;
  expect(r1.code).toBe(1);
  expect((await taskState(a, t1.rawId))?.failureReason).toMatch(/missing/);

  const pinned = await createHost(a);
  await a.t.app.services.hosts.updateHost({ id: rawId(pinned.id), primaryDiskSerial: 'WD-PINNED-1' });
  const t2 = await startDeploy(a, pinned.id, image.id);
  const disk = path.join(a.work, 'unpinned.img');
  blankFile(disk, manifest.disk.size);
  const r2 = await runClient(args(disk, pinned.mac)).done;
  expect(r2.code).toBe(1);
  expect((await taskState(a, t2.rawId))?.failureReason).toMatch(/pins WD-PINNED-1/);
  expect(isBlank(disk)).toBe(true);
}, 240_000);

it('Given a removable target, the pre-flight rule refuses it (identity as the engine reads it from sysfs)', () => {
  const problem = preflightProblem(
    { path: '/dev/sdz', present: true, size: 1 << 30, identity: { removable: true, model: 'USB stick' } },
    { requiredBytes: 1 << 20 },
  );
  expect(problem?.code).toBe('TARGET_REMOVABLE');
  const fine = preflightProblem(
    { path: '/dev/sda', present: true, size: 1 << 30, identity: { removable: false, serial: 'S1' } },
    { requiredBytes: 1 << 20, pinnedSerial: 'S1' },
  );
  expect(fine).toBeNull();
});

function fetchedBytes(stderr: string): number {
  const m = /(\d+) bytes fetched/.exec(stderr);
  if (!m) throw new Error(`no fetch count in: ${stderr}`);
  return Number(m[1]);
}

it('Given a deploy killed mid-way (SIGKILL), when the client runs again, then it resumes, fetches fewer bytes and the target is right', async () => {
  const host = await createHost(a);
  const task = await startDeploy(a, host.id, image.id);
  const disk = path.join(a.work, 'resume.img');
  blankFile(disk, manifest.disk.size);
  const first = runClient(args(disk, host.mac, slow.base));
  await until(
    () => (a.t.app.services.transfer.core.hub.counters(task.rawId)?.blocksDone ?? 0) >= 2,
    60_000,
    'first blocks',
  );
  first.child.kill('SIGKILL');
  await first.done;
  expect((await taskState(a, task.rawId))?.state).toBe('IN_PROGRESS');

  const second = await runClient(args(disk, host.mac)).done;
  expect(second.code).toBe(0);
  expect(fetchedBytes(second.stderr)).toBeLessThan(manifest.totals.storedBytes);
  expect(second.stderr).toMatch(/[1-9]\d* (skipped|resumed)/);
  expect((await taskState(a, task.rawId))?.state).toBe('COMPLETE');
  expect(blockHashes(disk, manifest)).toEqual(manifest.blocks.map((b) => b.hash));
}, 240_000);

it('Given a running deploy, when an operator cancels it, then the client stops within seconds and the task is CANCELLED', async () => {
  const host = await createHost(a);
  const task = await startDeploy(a, host.id, image.id);
  const disk = path.join(a.work, 'cancel.img');
  blankFile(disk, manifest.disk.size);
  const run = runClient(args(disk, host.mac, slow.base));
  await until(
    () => (a.t.app.services.transfer.core.hub.counters(task.rawId)?.blocksDone ?? 0) >= 1,
    60_000,
    'first block',
  );
  await cancelTask(a, task.id);
  const cancelledAt = Date.now();
  const r = await run.done;
  expect(Date.now() - cancelledAt).toBeLessThan(5000);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('cancelled');
  expect((await taskState(a, task.rawId))?.state).toBe('CANCELLED');
}, 240_000);
