/**
 * Forged datagrams (root, network namespaces): a forger in its own namespace sends DATA with the
 * session's id, group and port, the manifest's block shapes and wrong bytes. Without data MACs the
 * receivers reject the poisoned blocks by hash and have them repaired; with data MACs they drop the
 * datagrams before reassembly. Both ways, every disk ends right.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  badBlocksOnDisk,
  DATA_PORT,
  GROUP,
  makeImage,
  removeDir,
  requireNetns,
  type TestImage,
  Topology,
  writeJson,
} from './harness.ts';
import { startSession } from './session-runner.ts';

const MiB = 1024 * 1024;
let image: TestImage;

async function forgedRun(dataMac: boolean) {
  const topo = new Topology();
  try {
    topo.up(3);
    const s = startSession(topo, image, { receivers: 3, rateCap: 4 * MiB, dataMac });
    await s.sender.waitFor((l) => l.phase === 'running' && (l.mainCursor as number) >= 1, 30_000);
    const ticket = s.setup.tickets[0];
    const forgerConfig = writeJson(image.dir, `forger-${topo.prefix}.json`, {
      group: GROUP,
      dataPort: DATA_PORT,
      interfaceAddress: '198.18.0.250',
      sessionId: ticket?.sessionId,
      storedSizes: image.blocks.map((b) => b.storedSize),
      fragmentSize: ticket?.fragmentSize,
      durationMs: 3000,
      perTick: 20,
      withMac: dataMac,
    });
    const forger = topo.spawnNode('f', 'test/multicast/forger-process.ts', forgerConfig);
    const codes = await Promise.all([s.sender.exited, ...s.receivers.map((r) => r.exited), forger.exited]);
    expect(codes, s.sender.stderr + forger.stderr).toEqual([0, 0, 0, 0, 0]);
    expect(forger.report?.sent as number).toBeGreaterThan(1000);
    for (const disk of s.disks) expect(badBlocksOnDisk(disk, image.blocks)).toEqual([]);
    const sum = (k: string) => s.receivers.reduce((n, r) => n + (r.report?.[k] as number), 0);
    return { badBlocks: sum('badBlocks'), rejected: sum('rejectedDatagrams') };
  } finally {
    topo.down();
  }
}

describe('multicast under forged datagrams', () => {
  beforeAll(async () => {
    requireNetns();
    image = await makeImage(32 * MiB, 1 * MiB);
  });
  afterAll(() => {
    if (image) removeDir(image.dir);
  });

  it('Given data MACs off, when a forger poisons blocks, then they fail their hash, are repaired, and the disks end right', async () => {
    const r = await forgedRun(false);
    expect(r.badBlocks).toBeGreaterThan(0);
  });

  it('Given data MACs on, when a forger sends, then its datagrams are rejected before reassembly and no block fails', async () => {
    const r = await forgedRun(true);
    expect(r.rejected).toBeGreaterThan(1000);
    expect(r.badBlocks).toBe(0);
  });
});
