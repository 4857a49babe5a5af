/**
 * Tasks the boot chain runs itself, and those nothing runs: a queued Memtest86+ task boots the
 * memtest kernel and completes (or fails, saying what to set, when no memtest is configured); task
 * types no part of Brume runs yet are refused when started, and nothing is queued.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { serveBootChain } from './boot-chain-server.ts';
import { checkIpxeScript } from './ipxe-syntax.ts';

const KERNEL = { BRUME_BOOT_KERNEL_URL: 'http://10.0.0.1/k', BRUME_BOOT_INITRD_URL: 'http://10.0.0.1/i' };
let t: TestApp;
let withMemtest: Awaited<ReturnType<typeof serveBootChain>>;
let without: Awaited<ReturnType<typeof serveBootChain>>;
let operator: string;

beforeAll(async () => {
  t = await startTestApp();
  const now = () => new Date();
  withMemtest = await serveBootChain(
    t,
    { ...KERNEL, BRUME_BOOT_MEMTEST_URL: 'http://10.0.0.1/memtest.efi' },
    now,
  );
  without = await serveBootChain(t, KERNEL, now);
  operator = (await t.createUser('OPERATOR')).token;
});
afterAll(async () => {
  await withMemtest?.close();
  await without?.close();
  await t?.close();
});

async function boot(base: string, mac: string): Promise<string> {
  const res = await fetch(`${base}/boot.ipxe?mac=${mac}&arch=x86_64&platform=efi`);
  const text = await res.text();
  expect(checkIpxeScript(text).errors).toEqual([]);
  return text;
}

async function memtestTask(name: string, mac: string) {
  const host = await t.app.services.hosts.createHost({ name, macs: [mac] });
  const [task] = await t.app.services.tasks.startHostTask(
    { type: 'MEMTEST', hostIds: [host.id] },
    { userId: null },
  );
  return task!.id;
}

it('Given a queued Memtest86+ task, when its host boots, then it gets the memtest kernel and the task completes; the next boot shows the menu', async () => {
  const taskId = await memtestTask('mem-pc-01', '52:54:00:bb:00:01');
  const script = await boot(withMemtest.base, '52:54:00:bb:00:01');
  expect(script).toContain('kernel http://10.0.0.1/memtest.efi');
  expect(script).not.toContain('brume.task=');
  expect((await t.app.services.tasks.getTask(taskId))?.state).toBe('COMPLETE');
  expect(await boot(withMemtest.base, '52:54:00:bb:00:01')).toContain('Host is registered as mem-pc-01!');
});

it('Given no memtest configured, then the boot says so and the task fails with what to set', async () => {
  const taskId = await memtestTask('mem-pc-02', '52:54:00:bb:00:02');
  const script = await boot(without.base, '52:54:00:bb:00:02');
  expect(script).toContain('BRUME_BOOT_MEMTEST_URL');
  expect(script).not.toContain('kernel ');
  const task = await t.app.services.tasks.getTask(taskId);
  expect(task?.state).toBe('FAILED');
  expect(task?.failureReason).toMatch(/Memtest86\+ is not configured.*BRUME_BOOT_MEMTEST_URL/);
});

it('Given a task type nothing runs yet (DEBUG, TEST_DISK, PASSWORD_RESET), then startTask refuses it with a typed error and queues nothing', async () => {
  const host = await t.app.services.hosts.createHost({ name: 'mem-pc-03', macs: ['52:54:00:bb:00:03'] });
  const hostId = (
    await t.gql<{ hosts: { edges: { node: { id: string; name: string } }[] } }>(
      'query { hosts(first: 100) { edges { node { id name } } } }',
      { token: operator },
    )
  ).data?.hosts.edges.find((e) => e.node.name === host.name)?.node.id;
  for (const type of ['DEBUG', 'TEST_DISK', 'PASSWORD_RESET']) {
    const res = await t.gql<{ startTask: { __typename: string; type?: string; message?: string } }>(
      `mutation($i: StartTaskInput!) { startTask(input: $i) { __typename
        ... on TaskTypeUnsupportedError { type message } } }`,
      { token: operator, variables: { i: { hostIds: [hostId], type } } },
    );
    expect(res.data?.startTask).toMatchObject({ __typename: 'TaskTypeUnsupportedError', type });
    expect(res.data?.startTask.message).toMatch(/^Brume cannot run .* tasks yet/);
  }
  const active = await t.app.services.tasks.listTasks({ hostId: host.id }, { offset: 0, limit: 10 });
  expect(active).toEqual([]);
});
