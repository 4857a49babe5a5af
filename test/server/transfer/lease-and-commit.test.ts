/**
 * Two robustness rules of the data plane while the server keeps running: a client that goes silent
 * loses its task once its lease (and a grace) ran out, with a reason; and a commit whose reply was
 * lost is answered again when the client repeats it, so the client does not report a failure for
 * a version that was published.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCapture } from '../../../tui/src/agent/capture-task.ts';
import { ProgressReporter } from '../../../tui/src/agent/progress-reporter.ts';
import { TransferClient } from '../../../tui/src/agent/transfer-client.ts';
import {
  call,
  checkIn,
  createHost,
  createImage,
  randomDisk,
  rawId,
  startCapture,
  startTransferApp,
  type TransferApp,
  taskState,
} from './transfer-harness.ts';

let a: TransferApp;
beforeAll(async () => {
  a = await startTransferApp();
});
afterAll(() => a?.close());

it('Given a capture whose client went silent, when the lease sweep runs, then the task is kept within the grace and failed with a reason after it; the token then ends', async () => {
  const host = await createHost(a);
  const task = await startCapture(a, host.id, (await createImage(a)).id);
  const { token } = await checkIn(a, host.mac);
  await call(a, 'POST', '/v1/task/start', { token, mac: host.mac, json: { blocksTotal: 4 } });
  const expiry = (await taskState(a, task.rawId))?.leaseExpiresAt?.getTime() as number;
  const { sweepLeases, core } = a.t.app.services.transfer;

  // Just past the lease: still the client's (it may check in again and resume)
  const early = await sweepLeases(new Date(expiry + 1000));
  expect(early.map((t) => t.id)).not.toContain(task.rawId);
  expect((await taskState(a, task.rawId))?.state).toBe('IN_PROGRESS');

  // Past the lease and the grace (one token lifetime): failed with a reason
  const late = await sweepLeases(new Date(expiry + core.ttlMs + 1000));
  expect(late.map((t) => t.id)).toContain(task.rawId);
  expect(await taskState(a, task.rawId)).toMatchObject({
    state: 'FAILED',
    failureReason: expect.stringMatching(/lease expired: no word from the client/),
    leaseHolder: null,
  });
  const refused = await call(a, 'GET', '/v1/task', { token, mac: host.mac });
  expect(refused.body).toMatchObject({ code: 'TASK_ENDED', state: 'FAILED' });
});

/** A loopback proxy that swallows the first response to a request containing `marker`. */
function dropFirstReply(targetPort: number, marker: string) {
  let dropped = 0;
  const server = net.createServer((inbound) => {
    const outbound = net.connect(targetPort, '127.0.0.1');
    let swallow = false;
    inbound.on('data', (d: Buffer) => {
      if (dropped === 0 && d.includes(marker)) swallow = true;
      outbound.write(d);
    });
    outbound.on('data', (d: Buffer) => {
      if (!swallow) return void inbound.write(d);
      // The server has answered: the connection dies before the client reads a byte of it.
      dropped++;
      swallow = false;
      inbound.destroy();
      outbound.destroy();
    });
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
    inbound.on('error', () => undefined);
    outbound.on('error', () => undefined);
  });
  const listening = new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
  return { listening, dropped: () => dropped, close: () => new Promise((r) => server.close(r)) };
}

it('Given a capture whose commit reply is lost, when the client repeats the commit, then it succeeds with the one published version; another manifest on that token is refused', async () => {
  const host = await createHost(a);
  const image = await createImage(a);
  const task = await startCapture(a, host.id, image.id);
  const disk = path.join(a.work, 'commit-retry.img');
  randomDisk(disk, 3, 11);
  const proxy = dropFirstReply(Number(new URL(a.base).port), 'POST /v1/capture/commit');
  const port = await proxy.listening;
  const client = new TransferClient({
    server: `http://127.0.0.1:${port}`,
    mac: host.mac,
    retryWindowMs: 20_000,
  });
  try {
    const { token } = await checkIn(a, host.mac);
    client.token = token;
    const abort = new AbortController();
    const reporter = new ProgressReporter(client, abort);
    reporter.start();
    const imageName = (await a.t.app.services.images.getImage(rawId(image.id)))?.name as string;

    // When: the first commit's reply never reaches the client
    const result = await runCapture({
      client,
      diskPath: disk,
      imageName,
      reporter,
      signal: abort.signal,
      workers: 0,
    });
    reporter.stop();

    // Then: the repeat was answered with the version the first commit published
    expect(proxy.dropped()).toBe(1);
    const versions = await a.t.app.services.images.listVersions(rawId(image.id));
    expect(versions.map((v) => v.number)).toEqual([result.version]);
    expect((await taskState(a, task.rawId))?.state).toBe('COMPLETE');
    const other = await call(a, 'POST', '/v1/capture/commit', { token, mac: host.mac, json: { name: 'x' } });
    expect(other.body).toMatchObject({ code: 'TASK_ENDED', state: 'COMPLETE' });
  } finally {
    client.close();
    await proxy.close();
    fs.rmSync(disk, { force: true });
  }
});
