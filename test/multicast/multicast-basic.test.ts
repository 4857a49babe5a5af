/**
 * Multicast deploy in network namespaces (root): 3 receivers without loss, then with 5 % loss on
 * every receiver link. Every target disk must hold every block at its own offset, hashing to the
 * manifest's hash; the loss run must show repairs. Throughput figures are printed, the target
 * itself lives in the benchmark.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badBlocksOnDisk, makeImage, removeDir, requireNetns, type TestImage, Topology } from './harness.ts';
import { startSession } from './session-runner.ts';

const MiB = 1024 * 1024;
let image: TestImage;
const figures: Record<string, number> = {};

async function runThree(loss: number) {
  const topo = new Topology();
  try {
    topo.up(3, loss);
    const s = startSession(topo, image, { receivers: 3, rateCap: 60 * MiB });
    const codes = await Promise.all([s.sender.exited, ...s.receivers.map((r) => r.exited)]);
    return { s, codes, report: s.sender.report };
  } finally {
    topo.down();
  }
}

describe('multicast deploy, 3 receivers', () => {
  beforeAll(async () => {
    requireNetns();
    image = await makeImage(96 * MiB, 2 * MiB);
  });
  afterAll(() => {
    if (image) removeDir(image.dir);
    console.log(`multicast figures: ${JSON.stringify(figures)}`);
  });

  it('Given no loss, when the session runs, then it completes and every disk holds every block at its offset', async () => {
    const { s, codes, report } = await runThree(0);
    expect(codes, s.sender.stderr + s.receivers.map((r) => r.stderr).join('')).toEqual([0, 0, 0, 0]);
    expect(report?.phase).toBe('complete');
    for (const disk of s.disks) expect(badBlocksOnDisk(disk, image.blocks)).toEqual([]);
    const receivers = report?.receivers as Array<{ phase: string }>;
    expect(receivers.map((r) => r.phase)).toEqual(['complete', 'complete', 'complete']);
    figures.noLossMBps = image.storedBytes / MiB / ((report?.runningMs as number) / 1000);
  });

  it('Given 5 % loss on every receiver link, when the session runs, then repairs happen and every disk is right', async () => {
    const { s, codes, report } = await runThree(5);
    expect(codes, s.sender.stderr + s.receivers.map((r) => r.stderr).join('')).toEqual([0, 0, 0, 0]);
    expect(report?.phase).toBe('complete');
    for (const disk of s.disks) expect(badBlocksOnDisk(disk, image.blocks)).toEqual([]);
    expect(report?.repairBytesSent as number).toBeGreaterThan(0);
    for (const r of s.receivers) expect((r.report?.nackedFragments as number) > 0).toBe(true);
    figures.loss5MBps = image.storedBytes / MiB / ((report?.runningMs as number) / 1000);
    figures.loss5RepairPct = (100 * (report?.repairBytesSent as number)) / image.storedBytes;
  });
});
