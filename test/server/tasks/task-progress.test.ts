import { afterAll, beforeAll, expect, it } from 'vitest';
import { etaSeconds } from '../../../server/src/tasks/task-progress.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { makeHost, system } from './task-fixtures.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const counters = (blocksDone: number, phase = 'deploy') => ({
  blocksDone,
  blocksTotal: 100,
  bytesDone: blocksDone * 1_048_576,
  bytesTotal: 100 * 1_048_576,
  rateBytesPerSecond: 10 * 1_048_576,
  phase,
  partition: 2,
});

async function runningTask() {
  const [task] = await t.app.services.tasks.startInventory(
    { hostIds: [(await makeHost(t, 'PR')).id] },
    system,
  );
  return task!.id;
}

it('ETA is remaining bytes over rate, and unknown (null) without a rate', () => {
  expect(etaSeconds(counters(50))).toBe(5);
  expect(etaSeconds({ ...counters(50), rateBytesPerSecond: 0 })).toBeNull();
});

it('Given reports in quick succession, then the row is written once, again on a phase change and on the last block', async () => {
  const id = await runningTask();
  const svc = t.app.services.tasks;
  expect(await svc.reportProgress(id, counters(1))).toBe(true);
  expect(await svc.reportProgress(id, counters(2))).toBe(false);
  expect(await svc.reportProgress(id, counters(3))).toBe(false);
  expect((await svc.getTask(id))?.blocksDone).toBe(1);
  expect(await svc.reportProgress(id, counters(4, 'verify'))).toBe(true);
  expect(await svc.reportProgress(id, counters(100, 'verify'))).toBe(true);
  expect(await svc.getTask(id)).toMatchObject({ blocksDone: 100, phase: 'verify', partition: 2 });
});

it('Given a late subscriber, then it first gets the checkpoint, then live counters; a slow one gets the latest, not a backlog', async () => {
  const id = await runningTask();
  const svc = t.app.services.tasks;
  await svc.reportProgress(id, counters(10));
  const stream = (await svc.watchProgress(id))![Symbol.asyncIterator]();
  const first = await stream.next();
  expect(first.value).toMatchObject({ taskId: id, blocksDone: 10, etaSeconds: 9, phase: 'deploy' });
  const pending = stream.next();
  await new Promise((r) => setTimeout(r, 10));
  // 50 reports while the subscriber reads only one: its one-slot buffer keeps only the newest.
  for (let i = 11; i <= 60; i++) await svc.reportProgress(id, counters(i));
  expect((await pending).value).toMatchObject({ blocksDone: 11 });
  expect((await stream.next()).value).toMatchObject({ blocksDone: 60 });
  await stream.return?.();
});

it('Given an unknown task, then watchProgress gives nothing', async () => {
  expect(await t.app.services.tasks.watchProgress('00000000-0000-0000-0000-000000000000')).toBeUndefined();
});
