/**
 * The other tasks FOG users rely on, run by the client agent against the real server: hardware
 * inventory (here from a JSON override) and wipes with FOG's semantics.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agent } from '../../../tui/src/agent/agent.ts';
import { FAST_WIPE_BYTES } from '../../../tui/src/agent/wipe-task.ts';
import { createHost, rawId, startTransferApp, type TransferApp, taskState } from './transfer-harness.ts';

let a: TransferApp;
beforeAll(async () => {
  a = await startTransferApp();
});
afterAll(() => a?.close());

const system = { userId: null };
const sink = { progress: () => {} };

function agentFor(mac: string, disk: string, extra: Partial<ConstructorParameters<typeof Agent>[0]> = {}) {
  return new Agent({
    server: a.base,
    mac,
    diskPath: disk,
    stateDir: path.join(a.work, 'state'),
    workers: 0,
    ...extra,
  });
}

async function runPending(agent: Agent) {
  const { task } = await agent.checkIn();
  if (!task) throw new Error('no task');
  return { task, outcome: await agent.runTask(task, sink, new AbortController().signal) };
}

it('Given an inventory task, when the client runs it with a JSON inventory, then the host inventory is stored and the task completes', async () => {
  const host = await createHost(a);
  const [queued] = await a.t.app.services.tasks.startInventory({ hostIds: [rawId(host.id)] }, system);
  const file = path.join(a.work, 'inventory.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      systemManufacturer: 'QEMU',
      cpuModel: 'Test CPU',
      cpuCores: 2,
      memoryBytes: 2147483648,
      disks: [{ device: '/dev/vda', sizeBytes: 536870912, removable: false }],
      nics: [{ name: 'eth0', mac: host.mac }],
    }),
  );
  const { outcome } = await runPending(agentFor(host.mac, '/nonexistent', { inventoryFile: file }));
  expect(outcome).toEqual({ kind: 'complete' });
  expect((await taskState(a, queued!.id))?.state).toBe('COMPLETE');
  const inv = await a.t.app.services.hosts.inventory.getInventory(rawId(host.id));
  expect(inv).toMatchObject({
    systemManufacturer: 'QEMU',
    cpuModel: 'Test CPU',
    cpuCores: 2,
    memoryBytes: 2147483648,
  });
  expect(inv?.nics[0]?.mac).toBe(host.mac);
});

function filled(file: string, size: number, byte: number) {
  fs.writeFileSync(file, Buffer.alloc(size, byte));
}

it('Given wipe tasks, when the client runs them, then fast zeroes the start, normal overwrites everything, full ends with zeros', async () => {
  const size = 8 << 20;
  // Fast: zeros over the first 100 000 sectors, the rest untouched (a disk bigger than that).
  const fastHost = await createHost(a);
  const fastDisk = path.join(a.work, 'fast.img');
  filled(fastDisk, FAST_WIPE_BYTES + (1 << 20), 0xff);
  await a.t.app.services.tasks.startWipe({ hostId: rawId(fastHost.id), mode: 'FAST' }, system);
  expect((await runPending(agentFor(fastHost.mac, fastDisk))).outcome.kind).toBe('complete');
  const fast = fs.readFileSync(fastDisk);
  expect(fast.subarray(0, FAST_WIPE_BYTES).every((b) => b === 0)).toBe(true);
  expect(fast.subarray(FAST_WIPE_BYTES).every((b) => b === 0xff)).toBe(true);

  // Normal: one pass of random data over the whole disk.
  const normalHost = await createHost(a);
  const normalDisk = path.join(a.work, 'normal.img');
  filled(normalDisk, size, 0xff);
  const normalTask = await a.t.app.services.tasks.startWipe(
    { hostId: rawId(normalHost.id), mode: 'NORMAL' },
    system,
  );
  expect((await runPending(agentFor(normalHost.mac, normalDisk))).outcome.kind).toBe('complete');
  const normal = fs.readFileSync(normalDisk);
  const ffs = normal.reduce((n, b) => n + (b === 0xff ? 1 : 0), 0);
  expect(ffs).toBeLessThan(size / 100); // random bytes: about 1/256 are 0xff
  expect(normal.every((b) => b === 0)).toBe(false);
  const row = await taskState(a, normalTask.id);
  expect(row).toMatchObject({ state: 'COMPLETE', blocksDone: 2, blocksTotal: 2 });

  // Full: three random passes, then zeros.
  const fullHost = await createHost(a);
  const fullDisk = path.join(a.work, 'full.img');
  filled(fullDisk, size, 0xff);
  await a.t.app.services.tasks.startWipe({ hostId: rawId(fullHost.id), mode: 'FULL' }, system);
  expect((await runPending(agentFor(fullHost.mac, fullDisk))).outcome.kind).toBe('complete');
  expect(fs.readFileSync(fullDisk).every((b) => b === 0)).toBe(true);
});

it('Given a wipe of a missing disk, when the client runs it, then the task fails before anything is written', async () => {
  const host = await createHost(a);
  const task = await a.t.app.services.tasks.startWipe({ hostId: rawId(host.id), mode: 'FULL' }, system);
  const { outcome } = await runPending(agentFor(host.mac, path.join(a.work, 'absent.img')));
  expect(outcome.kind).toBe('failed');
  expect((await taskState(a, task.id))?.failureReason).toMatch(/missing/);
});
