/**
 * Multicast faults in network namespaces (root): a receiver stopped with SIGSTOP mid-session is
 * dropped after the stall bound and never complete while the others finish; a receiver killed
 * mid-session and restarted resumes and ends with every block at its own offset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  badBlocksOnDisk,
  holesAreZero,
  makeImage,
  removeDir,
  requireNetns,
  type TestImage,
  Topology,
} from './harness.ts';
import { startSession } from './session-runner.ts';

const MiB = 1024 * 1024;
const STALL_MS = 3000;
let image: TestImage;

const blocksDone = (l: Record<string, unknown>) => (l.event === 'progress' ? (l.blocksDone as number) : 0);

describe('multicast faults, 3 receivers', () => {
  beforeAll(async () => {
    requireNetns();
    image = await makeImage(64 * MiB, 1 * MiB);
  });
  afterAll(() => {
    if (image) removeDir(image.dir);
  });

  it('Given a receiver SIGSTOPped mid-session, then the others finish within 10 s of the stall bound and it is failed', async () => {
    const topo = new Topology();
    try {
      topo.up(3);
      const s = startSession(topo, image, {
        receivers: 3,
        rateCap: 12 * MiB,
        stallMs: STALL_MS,
        senderSilenceMs: 4000,
      });
      const stopped = s.receivers[2];
      if (!stopped?.child.pid) throw new Error('receiver 3 did not start');
      // Late in the session, so what follows the stop is the stall bound, not the rest of the image.
      await stopped.waitFor((l) => blocksDone(l) >= image.blocks.length * 0.6, 40_000);
      stopped.child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      expect(await s.sender.exited, s.sender.stderr).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(STALL_MS + 10_000);
      const rows = (s.sender.report?.receivers ?? []) as Array<{
        receiverId: string;
        phase: string;
        failReason: string;
      }>;
      const phases = rows.map((r) => [r.receiverId, r.phase, r.failReason]);
      const stoppedId = s.setup.tickets[2]?.receiverId;
      expect(phases).toContainEqual([stoppedId, 'failed', expect.stringContaining('stalled')]);
      expect(phases.filter((p) => p[1] === 'complete')).toHaveLength(2);
      expect(await s.receivers[0]?.exited).toBe(0);
      expect(await s.receivers[1]?.exited).toBe(0);
      for (const disk of s.disks.slice(0, 2)) expect(badBlocksOnDisk(disk, image.blocks)).toEqual([]);
      // Woken up after the session: it must fail loudly, never report complete.
      stopped.child.kill('SIGCONT');
      expect(await stopped.exited).toBe(1);
      expect(stopped.report?.phase).toBe('failed');
      expect(holesAreZero(s.disks[2] ?? '', image.blocks)).toBe(true);
    } finally {
      topo.down();
    }
  });

  it('Given a receiver killed and restarted mid-session, then it resumes and every block is right, nothing written elsewhere', async () => {
    const topo = new Topology();
    try {
      topo.up(3);
      // A stall bound longer than a restart (node start-up on a loaded machine): the receiver rejoins.
      const s = startSession(topo, image, { receivers: 3, rateCap: 6 * MiB, stallMs: 20_000 });
      const victim = s.receivers[1];
      if (!victim) throw new Error('receiver 2 did not start');
      await victim.waitFor((l) => blocksDone(l) >= 10, 30_000);
      victim.child.kill('SIGKILL');
      await victim.exited;
      await new Promise((r) => setTimeout(r, 300));
      const again = s.restart(1);
      const dump = setTimeout(() => {
        console.log(
          `sender: ${JSON.stringify(s.sender.lines.at(-1))}\nrestarted: ${JSON.stringify(again.lines.at(-1))} ${again.stderr}`,
        );
      }, 50_000);
      const codes = await Promise.all([s.sender.exited, ...s.receivers.map((r) => r.exited)]);
      clearTimeout(dump);
      expect(codes, JSON.stringify(again.report) + again.stderr + s.sender.stderr).toEqual([0, 0, 0, 0]);
      expect(again.report?.phase).toBe('complete');
      for (const disk of s.disks) {
        expect(badBlocksOnDisk(disk, image.blocks)).toEqual([]);
        expect(holesAreZero(disk, image.blocks)).toBe(true);
      }
    } finally {
      topo.down();
    }
  });
});
