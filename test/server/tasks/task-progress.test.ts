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

it('Given a graphql-ws subscriber to taskProgress, then it gets the checkpoint then live counters, with opaque ids', async () => {
  const { createClient } = await import('graphql-ws');
  const { default: WebSocket } = await import('ws');
  const { wsUrl } = await t.listen();
  const viewer = (await t.createUser('VIEWER')).token;
  const id = await runningTask();
  await t.app.services.tasks.reportProgress(id, counters(5));
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${viewer}` },
  });
  type Progress = {
    taskProgress: {
      taskId: string;
      blocksDone: number;
      bytesTotal: number;
      etaSeconds: number;
      partition: number;
    };
  };
  const received: Progress['taskProgress'][] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const stop = client.subscribe<Progress>(
        {
          query:
            'subscription($id: ID!) { taskProgress(taskId: $id) { taskId blocksDone bytesTotal etaSeconds partition } }',
          variables: { id: Buffer.from(`Task:${id}`).toString('base64') },
        },
        {
          next: (msg) => {
            if (msg.errors) return reject(new Error(JSON.stringify(msg.errors)));
            received.push(msg.data!.taskProgress);
            if (received.length === 1) void t.app.services.tasks.reportProgress(id, counters(100));
            if (received.length === 2) {
              stop();
              resolve();
            }
          },
          error: reject,
          complete: () => {},
        },
      );
    });
  } finally {
    await client.dispose();
  }
  expect(received.map((p) => p.blocksDone)).toEqual([5, 100]);
  expect(received[0]).toMatchObject({ bytesTotal: 100 * 1_048_576, etaSeconds: 10, partition: 2 });
  expect(received[0]!.taskId).not.toContain(id);
});
