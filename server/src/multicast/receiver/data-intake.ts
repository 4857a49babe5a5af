/**
 * DATA handling: checks each fragment against the manifest, reassembles, verifies blocks one at a
 * time through the sink, measures loss from sequence gaps, and runs the unicast fallback.
 */
import { DataKind } from '../wire/constants.ts';
import type { FastData } from '../wire/fast-data.ts';
import type { DoneMap } from './done-map.ts';
import type { NackPlanner } from './nack-planner.ts';
import type { ReceiverPhase } from './ports.ts';
import type { Reassembler } from './reassembler.ts';
import type { ReceiverOptions } from './receiver-options.ts';

/** The receiver as the intake sees it. */
export interface ReceiverContext {
  readonly o: ReceiverOptions;
  readonly done: DoneMap;
  readonly reassembler: Reassembler;
  readonly planner: NackPlanner;
  readonly stats: { rejected: number; datagrams: number; unicastBlocks: number; badBlocks: number };
  readonly phase: ReceiverPhase;
  cursor: number;
  unicastBelow: number;
  blockDone(index: number): void;
  fail(reason: string): void;
  checkComplete(ended?: boolean): void;
}

export class DataIntake {
  private readonly r: ReceiverContext;
  /** Blocks handed to the sink (or being fetched by unicast): fragments of them are ignored. */
  private readonly busySet = new Set<number>();
  private readonly queue: Array<{ index: number; stored: Uint8Array }> = [];
  private verifying = false;
  /** Multicast and unicast blocks reach the sink through this one lane: one block at a time. */
  private sinkLane: Promise<unknown> = Promise.resolve();
  /** The late joiner's fetch of what was sent before it came (startUnicast), while it runs. */
  private unicastRun: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private lossBase = -1;
  private lossMax = -1;
  private lossReceived = 0;
  lastLossPermille = 0;
  /** Coarse clock for partial-block ages, refreshed by the receiver's NACK timer (no clock read per datagram). */
  now = Date.now();

  constructor(r: ReceiverContext) {
    this.r = r;
  }

  /** True while the unicast fallback owns blocks below unicastBelow: they are not NACKed meanwhile. */
  private unicastActive = false;
  private finishing = false;

  busy(index: number): boolean {
    return this.busySet.has(index) || (this.unicastActive && index < this.r.unicastBelow);
  }

  stop(): void {
    this.stopped = true;
  }

  onData(m: FastData, datagram: Buffer): void {
    const r = this.r;
    r.stats.datagrams++;
    this.countSeq(m.seq);
    if (m.kind === DataKind.Main && m.blockIndex > r.cursor) r.cursor = m.blockIndex;
    if (r.phase !== 'receiving') return;
    const b = m.blockIndex;
    if (b >= r.done.blockCount || !this.matchesManifest(m)) {
      r.stats.rejected++;
      return;
    }
    if (r.done.has(b) || this.busySet.has(b)) return;
    const whole = r.reassembler.add(
      b,
      m.storedLength,
      m.fragCount,
      m.fragIndex,
      datagram,
      m.payloadOffset,
      m.payloadLength,
      this.now,
    );
    if (whole) this.enqueue(b, whole);
  }

  /** storedLength, fragCount and payload length must be what the manifest implies. */
  private matchesManifest(m: FastData): boolean {
    const size = this.r.o.sink.storedSize(m.blockIndex);
    const frag = this.r.o.ticket.fragmentSize;
    if (m.storedLength !== size || m.fragCount !== Math.ceil(size / frag)) return false;
    const expect = m.fragIndex === m.fragCount - 1 ? size - frag * m.fragIndex : frag;
    return m.payloadLength === expect;
  }

  private countSeq(seq: number): void {
    if (this.lossBase < 0) this.lossBase = seq - 1;
    if (seq > this.lossBase) {
      this.lossReceived++;
      if (seq > this.lossMax) this.lossMax = seq;
    }
  }

  /** Loss since the previous call, from sequence gaps (repairs and duplicates included). */
  takeLossPermille(): number {
    const expected = this.lossMax - this.lossBase;
    if (expected <= 0) return 0;
    this.lastLossPermille = Math.max(0, Math.round((1 - this.lossReceived / expected) * 1000));
    this.lossBase = this.lossMax;
    this.lossReceived = 0;
    return this.lastLossPermille;
  }

  private enqueue(index: number, stored: Uint8Array): void {
    this.busySet.add(index);
    this.queue.push({ index, stored });
    if (!this.verifying) void this.drain();
  }

  private async drain(): Promise<void> {
    this.verifying = true;
    try {
      for (let next = this.queue.shift(); next && !this.stopped; next = this.queue.shift()) {
        await this.verify(next.index, next.stored);
        // Written or refused: the sink holds no reference to it any more (its promise resolved).
        this.r.reassembler.release(next.stored);
      }
    } finally {
      this.verifying = false;
    }
  }

  /**
   * Returns true when the block is now written; a bad hash frees it to be asked for again. The
   * unicast fetch runs beside the multicast drain, so both wait their turn for the sink.
   */
  private verify(index: number, stored: Uint8Array): Promise<boolean> {
    const run = this.sinkLane.then(() => this.verifyNow(index, stored));
    this.sinkLane = run.catch(() => false);
    return run;
  }

  private async verifyNow(index: number, stored: Uint8Array): Promise<boolean> {
    const r = this.r;
    let result: string;
    try {
      result = await r.o.sink.verifyAndWrite(index, stored);
    } catch (error) {
      r.fail(`writing block ${index}: ${(error as Error).message}`);
      return false;
    }
    this.busySet.delete(index);
    if (result === 'ok') {
      r.blockDone(index);
      return true;
    }
    r.stats.badBlocks++;
    r.planner.reset(index);
    return false;
  }

  /** Late joiner past the bound: fetch what the main pass already sent, by unicast. */
  startUnicast(): void {
    const fetch = this.r.o.fetchBlock;
    if (!fetch || this.r.unicastBelow === 0) return;
    this.unicastActive = true;
    this.unicastRun = this.fetchRange(fetch, 0, this.r.unicastBelow).finally(() => {
      // Whatever unicast could not fetch is asked for by NACK from now on.
      this.unicastActive = false;
    });
  }

  private async fetchRange(
    fetch: (i: number) => Promise<Uint8Array>,
    from: number,
    to: number,
  ): Promise<boolean> {
    const r = this.r;
    for (let i = from; i < to && !this.stopped; i++) {
      if (r.done.has(i) || this.busySet.has(i)) continue;
      this.busySet.add(i);
      r.reassembler.delete(i);
      let stored: Uint8Array;
      try {
        stored = await fetch(i);
      } catch {
        this.busySet.delete(i);
        return false;
      }
      if (await this.verify(i, stored)) r.stats.unicastBlocks++;
      else return false;
    }
    return true;
  }

  /** The multicast session is over for us: finish by unicast if we can, else fail loudly. */
  finishByUnicast(reason: string): void {
    const r = this.r;
    const fetch = r.o.fetchBlock;
    // Once: the heartbeat calls this again while the sender stays silent.
    if (this.finishing) return;
    this.finishing = true;
    if (!fetch) {
      r.fail(reason);
      return;
    }
    void (async () => {
      while (this.verifying || this.queue.length > 0) await new Promise((s) => setTimeout(s, 20));
      // A late joiner's fetch may still hold a block as busy: the range below would skip it.
      await this.unicastRun;
      const ok = await this.fetchRange(fetch, 0, r.done.blockCount);
      if (ok && r.done.complete) r.checkComplete(true);
      else r.fail(`${reason}; unicast fallback could not finish`);
    })();
  }
}
