/**
 * Task tokens: issued only to the MAC of a host with a pending task, bound to that task and MAC,
 * expiring, useless once the task ends; every refused use is audited.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tasks } from '../../../server/src/tasks/tasks-table.ts';
import {
  auditOutcomes,
  call,
  cancelTask,
  checkIn,
  createHost,
  createImage,
  startCapture,
  startTransferApp,
  type TransferApp,
  taskState,
  uniqueMac,
} from './transfer-harness.ts';

let a: TransferApp;
beforeAll(async () => {
  a = await startTransferApp();
});
afterAll(() => a?.close());

it('Given an unknown MAC and a host without a task, when they check in, then nothing secret comes back', async () => {
  const unknown = await checkIn(a, uniqueMac());
  expect(unknown).toMatchObject({ host: { state: 'unregistered' }, task: null, token: null });
  const idle = await createHost(a);
  expect(await checkIn(a, idle.mac)).toMatchObject({
    host: { state: 'registered' },
    task: null,
    token: null,
  });
  expect((await call(a, 'POST', '/v1/checkin', { json: { mac: 'not-a-mac' } })).body.code).toBe(
    'INVALID_REQUEST',
  );
});

it('Given a host with a queued capture, when it checks in, then it gets a token bound to the task, and the task is CHECKED_IN', async () => {
  const host = await createHost(a);
  const task = await startCapture(a, host.id, (await createImage(a)).id);
  const r = await checkIn(a, host.mac);
  expect(r.task).toMatchObject({ id: task.rawId, kind: 'CAPTURE' });
  expect(r.token).toMatch(/^brt_/);
  expect((await taskState(a, task.rawId))?.state).toBe('CHECKED_IN');
  // The database keeps only a digest of the token.
  expect((await taskState(a, task.rawId))?.leaseHolder).not.toContain(r.token!.slice(-43));
  const info = await call(a, 'GET', '/v1/task', { token: r.token, mac: host.mac });
  expect(info.status).toBe(200);
  expect(info.body).toMatchObject({ id: task.rawId, kind: 'CAPTURE' });
});

it('Given a valid token, when it is replayed with another MAC, then it is refused and audited', async () => {
  const host = await createHost(a);
  await startCapture(a, host.id, (await createImage(a)).id);
  const { token } = await checkIn(a, host.mac);
  const r = await call(a, 'GET', '/v1/task', { token, mac: uniqueMac() });
  expect(r.status).toBe(403);
  expect(r.body.code).toBe('TOKEN_WRONG_MAC');
  expect(await auditOutcomes(a, 'transfer.task')).toContain('refused:TOKEN_WRONG_MAC');
});

it('Given a token, when its task was cancelled, then it is refused with TASK_ENDED and audited', async () => {
  const host = await createHost(a);
  const task = await startCapture(a, host.id, (await createImage(a)).id);
  const { token } = await checkIn(a, host.mac);
  await cancelTask(a, task.id);
  const r = await call(a, 'POST', '/v1/task/progress', { token, mac: host.mac, json: { events: [] } });
  expect(r.status).toBe(409);
  expect(r.body).toMatchObject({ code: 'TASK_ENDED', state: 'CANCELLED' });
  expect(await auditOutcomes(a, 'transfer.progress')).toContain('refused:TASK_ENDED');
});

it('Given a token whose lease expired, when it is used, then it is refused and audited; a new check-in gives a new token and the old one stops working', async () => {
  const host = await createHost(a);
  const task = await startCapture(a, host.id, (await createImage(a)).id);
  const first = await checkIn(a, host.mac);
  await a.t.db.db
    .update(tasks)
    .set({ leaseExpiresAt: new Date(Date.now() - 1000) })
    .where(eq(tasks.id, task.rawId));
  await new Promise((r) => setTimeout(r, 600)); // past the server's 500 ms row cache
  const expired = await call(a, 'GET', '/v1/task', { token: first.token, mac: host.mac });
  expect(expired.body.code).toBe('TOKEN_EXPIRED');
  expect(await auditOutcomes(a, 'transfer.task')).toContain('refused:TOKEN_EXPIRED');
  const second = await checkIn(a, host.mac);
  expect(second.token).not.toBe(first.token);
  expect((await call(a, 'GET', '/v1/task', { token: second.token, mac: host.mac })).status).toBe(200);
  expect((await call(a, 'GET', '/v1/task', { token: first.token, mac: host.mac })).body.code).toBe(
    'TOKEN_INVALID',
  );
});

it('Given no token or a forged one, when a route is called, then it is refused', async () => {
  expect((await call(a, 'GET', '/v1/task')).body.code).toBe('TOKEN_MISSING');
  const forged = `brt_00000000-0000-4000-8000-000000000000_${'A'.repeat(43)}`;
  expect((await call(a, 'GET', '/v1/task', { token: forged, mac: uniqueMac() })).status).toBe(401);
  expect((await call(a, 'GET', '/v1/nothing-here', {})).status).toBe(404);
});

it('Given a capture token, when it asks for deploy routes, then WRONG_TASK_KIND', async () => {
  const host = await createHost(a);
  await startCapture(a, host.id, (await createImage(a)).id);
  const { token } = await checkIn(a, host.mac);
  const r = await call(a, 'GET', '/v1/deploy/manifest', { token, mac: host.mac });
  expect(r.status).toBe(403);
  expect(r.body.code).toBe('WRONG_TASK_KIND');
});
