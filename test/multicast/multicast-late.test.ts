/**
 * Late joiners (root, network namespaces): a receiver that joins while the main pass runs catches
 * up from repairs; past the late-join bound it is told to fetch what was already sent by unicast
 * (here the pluggable fetchBlock reads the chunk store, standing in for the HTTP data plane).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badBlocksOnDisk, makeImage, removeDir, requireNetns, type TestImage, Topology } from './harness.ts';
import { startSession } from './session-runner.ts';

const MiB = 1024 * 1024;
let image: TestImage;

async function lateRun(lateJoinUnicastBlocks: number) {
  const topo = new Topology();
  try {
    topo.up(3);
    const s = startSession(topo, image, {
      receivers: 2,
      lateReceivers: 1,
      rateCap: 3 * MiB,
      lateJoinUnicastBlocks,
    });
    await s.sender.waitFor((l) => l.phase === 'running' && (l.mainCursor as number) >= 8, 40_000);
    const late = s.startLate(0);
    const codes = await Promise.all([s.sender.exited, ...s.receivers.map((r) => r.exited)]);
    expect(codes, JSON.stringify(late.report) + late.stderr + s.sender.stderr).toEqual([0, 0, 0, 0]);
    expect(late.report?.phase).toBe('complete');
    for (const disk of s.disks) expect(badBlocksOnDisk(disk, image.blocks), disk).toEqual([]);
    return late.report as { unicastBlocks: number; nackedFragments: number };
  } finally {
    topo.down();
  }
}

describe('multicast late joiners', () => {
  beforeAll(async () => {
    requireNetns();
    image = await makeImage(48 * MiB, 1 * MiB);
  });
  afterAll(() => {
    if (image) removeDir(image.dir);
  });

  it('Given a receiver joining mid-session within the bound, then it catches up from repairs and ends right', async () => {
    const r = await lateRun(1000);
    expect(r.unicastBlocks).toBe(0);
    expect(r.nackedFragments).toBeGreaterThan(0);
  });

  it('Given a receiver joining past the bound, then it fetches the blocks already sent by unicast and ends right', async () => {
    const r = await lateRun(4);
    expect(r.unicastBlocks).toBeGreaterThan(0);
  });
});
