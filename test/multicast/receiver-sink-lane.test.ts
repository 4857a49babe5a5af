/**
 * One block at a time into the sink: a late joiner fetches old blocks by unicast while the multicast
 * stream keeps delivering new ones, and the engine sink decodes every block into one shared slot.
 * Two blocks in flight at once wrote one block's bytes at the other's offset, reported 'ok'.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCodec, encodeChunk, type ManifestChunkRef, openDisk } from '../../server/src/imaging/index.ts';
import { DataIntake, type ReceiverContext } from '../../server/src/multicast/receiver/data-intake.ts';
import { DoneMap } from '../../server/src/multicast/receiver/done-map.ts';
import { engineBlockSink } from '../../server/src/multicast/receiver/engine-sink.ts';
import { NackPlanner } from '../../server/src/multicast/receiver/nack-planner.ts';
import type { BlockSink } from '../../server/src/multicast/receiver/ports.ts';
import { Reassembler } from '../../server/src/multicast/receiver/reassembler.ts';
import { receiverDefaults } from '../../server/src/multicast/receiver/receiver-options.ts';
import { DataKind, newFastData } from '../../server/src/multicast/wire/index.ts';
import { issueTicket, newSessionSecrets } from '../../server/src/multicast/wire/session-ticket.ts';
import { badBlocksOnDisk, makeDisk, removeDir } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'brmc-lane-'));
afterAll(() => removeDir(dir));

const ticket = (blockCount: number) =>
  issueTicket(newSessionSecrets(), {
    group: '239.77.0.1',
    dataPort: 9400,
    senderAddress: '198.18.0.1',
    controlPort: 9401,
    dataMac: false,
    blockCount,
  });

describe('engine block sink', () => {
  it('Given two blocks handed over without waiting, then each lands at its own offset', async () => {
    const size = 64 * 1024;
    const chunks = [0, 1].map(() => encodeChunk(randomBytes(size)));
    const blocks: ManifestChunkRef[] = chunks.map((c, i) => ({
      offset: i * 2 * size,
      length: size,
      hash: c.hash,
      storedSize: c.compressed.length,
    }));
    const path = join(dir, 'two-blocks.img');
    makeDisk(path, 4 * size);
    const disk = await openDisk(path, { write: true });
    const codec = createCodec(0);
    const sink = engineBlockSink(blocks, disk, codec);

    const results = await Promise.all(chunks.map((c, i) => sink.verifyAndWrite(i, c.compressed)));
    await disk.close();
    await codec.close();

    expect(results).toEqual(['ok', 'ok']);
    expect(badBlocksOnDisk(path, blocks)).toEqual([]);
  });
});

const STORED = 1000;

/** A late joiner's intake: blocks below 4 are fetched by unicast; `sink` and `fetchBlock` are the test's. */
function lateIntake(
  blockCount: number,
  sink: BlockSink,
  fetchBlock: (i: number) => Promise<Uint8Array>,
  onComplete: (done: DoneMap) => void = () => {},
) {
  const done = new DoneMap(blockCount);
  const failures: string[] = [];
  const t = ticket(blockCount);
  const r: ReceiverContext = {
    o: receiverDefaults({ ticket: t, sink, interfaceAddress: '198.18.0.11', fetchBlock }),
    done,
    reassembler: new Reassembler(1 << 20, t.fragmentSize, STORED),
    planner: new NackPlanner(),
    stats: { rejected: 0, datagrams: 0, unicastBlocks: 0, badBlocks: 0 },
    phase: 'receiving',
    cursor: 0,
    unicastBelow: 4,
    blockDone: (i) => done.set(i),
    fail: (reason) => failures.push(reason),
    checkComplete: () => onComplete(done),
  };
  return { intake: new DataIntake(r), r, done, failures };
}

describe('data intake', () => {
  it('Given a unicast fetch beside the multicast stream, then the sink never holds two blocks at once', async () => {
    const blockCount = 8;
    const stored = STORED;
    let inFlight = 0;
    let maxInFlight = 0;
    const sink: BlockSink = {
      blockCount,
      storedSize: () => stored,
      length: () => 4096,
      async verifyAndWrite() {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return 'ok';
      },
    };
    const { intake, r, done, failures } = lateIntake(blockCount, sink, async () => new Uint8Array(stored));

    // When: WELCOME said "fetch 0..3 by unicast" and blocks 4..7 arrive by multicast meanwhile.
    intake.startUnicast();
    for (let b = 4; b < blockCount; b++) {
      const m = newFastData();
      Object.assign(m, { kind: DataKind.Main, seq: b, blockIndex: b, storedLength: stored, fragCount: 1 });
      Object.assign(m, { fragIndex: 0, payloadOffset: 0, payloadLength: stored });
      intake.onData(m, Buffer.alloc(stored));
    }
    const deadline = Date.now() + 5000;
    while (!done.complete && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));

    expect(failures).toEqual([]);
    expect(done.complete).toBe(true);
    expect(r.stats.unicastBlocks).toBe(4);
    expect(maxInFlight).toBe(1);
  });

  it('Given the session ends while the late fetch still holds a block, then the unicast finish waits for it and completes', async () => {
    const blockCount = 8;
    const stored = STORED;
    const sink: BlockSink = {
      blockCount,
      storedSize: () => stored,
      length: () => 4096,
      verifyAndWrite: async () => 'ok',
    };
    let completed = false;
    // Block 3 is slow to come: the session ends while the late fetch waits for it.
    const fetchBlock = async (i: number) => {
      await new Promise((resolve) => setTimeout(resolve, i === 3 ? 300 : 1));
      return new Uint8Array(stored);
    };
    const { intake, done, failures } = lateIntake(blockCount, sink, fetchBlock, (d) => {
      completed = d.complete;
    });

    intake.startUnicast();
    while (!done.has(2)) await new Promise((resolve) => setTimeout(resolve, 2));
    intake.finishByUnicast('the sender said END');
    const deadline = Date.now() + 5000;
    while (!completed && failures.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    expect(failures).toEqual([]);
    expect(completed).toBe(true);
  });
});
