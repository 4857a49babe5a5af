/**
 * The multicast receiver: joins the group, reassembles fragments into blocks, has every block
 * verified by the sink before it is written, asks for what it missed, reports its done-map, and
 * resumes from a persisted one. Nothing unverified is ever written. This file holds the
 * lifecycle; what arrives is the inbox's, what is sent the outbox's, DATA the intake's.
 */
import { createSocket, type Socket } from 'node:dgram';
import { DataIntake, type ReceiverContext } from './data-intake.ts';
import { DoneMap } from './done-map.ts';
import { NackPlanner } from './nack-planner.ts';
import type { ReceiverPhase, ReceiverSnapshot } from './ports.ts';
import { Reassembler } from './reassembler.ts';
import { type InboxHost, ReceiverInbox } from './receiver-inbox.ts';
import { type ReceiverKeys, receiverKeys } from './receiver-keys.ts';
import { type ReceiverOptions, type ReceiverOptionsInput, receiverDefaults } from './receiver-options.ts';
import { type OutboxHost, ReceiverOutbox } from './receiver-outbox.ts';
import { drainSocket, type SocketDrainStats } from './socket-drain.ts';

export interface ReceiverReport extends ReceiverSnapshot {
  readonly durationMs: number;
}

export class MulticastReceiver implements ReceiverContext, InboxHost, OutboxHost {
  readonly o: ReceiverOptions;
  readonly keys: ReceiverKeys;
  private socket: Socket | null = null;
  private drain: SocketDrainStats | null = null;
  phase: ReceiverPhase = 'joining';
  private failReason: string | null = null;
  done!: DoneMap;
  readonly reassembler: Reassembler;
  readonly planner = new NackPlanner();
  readonly intake: DataIntake;
  private readonly inbox: ReceiverInbox;
  private readonly outbox: ReceiverOutbox;
  cursor = 0;
  unicastBelow = 0;
  lastHeard = Date.now();
  readonly stats = { rejected: 0, datagrams: 0, nacked: 0, unicastBlocks: 0, badBlocks: 0 };
  private readonly timers: NodeJS.Timeout[] = [];
  acked = false;
  private completeSince = 0;
  private readonly started = Date.now();
  private finish: (r: ReceiverReport) => void = () => {};
  private persistChain: Promise<void> = Promise.resolve();
  private persistDirty = false;

  constructor(input: ReceiverOptionsInput) {
    this.o = receiverDefaults(input);
    const t = this.o.ticket;
    this.keys = receiverKeys(t);
    let maxStored = 0;
    for (let i = 0; i < this.o.sink.blockCount; i++)
      maxStored = Math.max(maxStored, this.o.sink.storedSize(i));
    this.reassembler = new Reassembler(this.o.maxPartialBytes, t.fragmentSize, maxStored);
    this.intake = new DataIntake(this);
    this.inbox = new ReceiverInbox(this);
    this.outbox = new ReceiverOutbox(this, (d) => this.send(d));
  }

  /** The session id of the ticket (every datagram names it). */
  get sessionId(): bigint {
    return this.keys.sessionId;
  }

  /** Runs until complete or failed; resolves with the report (never rejects). */
  async run(): Promise<ReceiverReport> {
    const done = new Promise<ReceiverReport>((resolve) => {
      this.finish = resolve;
    });
    try {
      await this.loadDone();
      await this.open();
    } catch (error) {
      this.fail(`start: ${(error as Error).message}`);
      return done;
    }
    this.every(this.o.nackIntervalMs, () => this.outbox.nackTick());
    this.every(this.o.heartbeatMs, () => this.heartbeat());
    this.every(this.o.persistIntervalMs, () => this.persist());
    this.every(this.o.progressIntervalMs, () => this.o.progress?.(this.snapshot()));
    this.outbox.join();
    return done;
  }

  private every(ms: number, f: () => void): void {
    this.timers.push(setInterval(f, ms));
  }

  private async loadDone(): Promise<void> {
    const initial = (await this.o.resume?.load()) ?? null;
    this.done = new DoneMap(this.o.ticket.blockCount, initial);
    if (this.o.sink.has) {
      for (let i = 0; i < this.done.blockCount; i++)
        if (!this.done.has(i) && (await this.o.sink.has(i))) this.done.set(i);
    }
  }

  private async open(): Promise<void> {
    const t = this.o.ticket;
    const s = createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: this.o.recvBufferBytes });
    this.socket = s;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(t.dataPort, () => {
        s.off('error', reject);
        resolve();
      });
    });
    s.addMembership(t.group, this.o.interfaceAddress);
    this.drain = drainSocket(s, (msg) => this.inbox.onDatagram(msg));
    s.on('error', (e) => this.fail(`socket: ${e.message}`));
  }

  private send(datagram: Buffer): void {
    this.socket?.send(datagram, this.o.ticket.controlPort, this.o.ticket.senderAddress);
  }

  private heartbeat(): void {
    if (this.phase === 'failed' || this.phase === 'complete') return;
    const now = Date.now();
    if (now - this.lastHeard > this.o.senderSilenceMs) {
      this.intake.finishByUnicast(`sender silent for ${now - this.lastHeard} ms`);
      return;
    }
    if (this.phase === 'joining') {
      this.outbox.join();
      return;
    }
    this.outbox.report(false, this.done.takeReportWindows());
    this.checkComplete();
  }

  // ---- state ----

  /** Called by the intake once a block is verified and written. */
  blockDone(index: number): void {
    this.done.set(index);
    this.persistDirty = true;
    if (this.done.complete) {
      this.persist();
      this.heartbeat();
    }
  }

  private persist(): void {
    if (!this.persistDirty) return;
    this.persistDirty = false;
    const snapshot = Uint8Array.from(this.done.bits);
    this.persistChain = this.persistChain
      .then(async () => {
        await this.o.sink.sync?.();
        await this.o.resume?.save(snapshot);
      })
      .catch((e: Error) => this.fail(`persisting the done-map: ${e.message}`));
  }

  /** Complete once every block is done and persisted, and the sender acknowledged (or ended, or 3 s passed). */
  checkComplete(ended = false): void {
    if (this.phase === 'failed' || this.phase === 'complete' || !this.done.complete) return;
    if (this.completeSince === 0) this.completeSince = Date.now();
    if (!this.acked && !ended && Date.now() - this.completeSince < 3000) return;
    this.phase = 'complete';
    void this.persistChain.then(() => this.close());
  }

  fail(reason: string): void {
    if (this.phase === 'failed' || this.phase === 'complete') return;
    this.failReason = reason;
    this.phase = 'failed';
    if (this.socket) this.outbox.report(false, [0]);
    void this.persistChain.then(() => this.close());
  }

  private close(): void {
    for (const t of this.timers) clearInterval(t);
    this.intake.stop();
    const report = { ...this.snapshot(), durationMs: Date.now() - this.started };
    this.o.progress?.(report);
    try {
      this.socket?.close();
    } catch {
      // Already closed: nothing to release.
    }
    this.socket = null;
    this.finish(report);
  }

  snapshot(): ReceiverSnapshot {
    let bytesDone = 0;
    for (let i = 0; i < this.done.blockCount; i++) if (this.done.has(i)) bytesDone += this.o.sink.length(i);
    return {
      phase: this.phase,
      failReason: this.failReason,
      blocksDone: this.done.count,
      blocksTotal: this.done.blockCount,
      bytesDone,
      badBlocks: this.stats.badBlocks,
      rejectedDatagrams: this.stats.rejected,
      datagrams: this.stats.datagrams,
      nackedFragments: this.stats.nacked,
      drainedDatagrams: this.drain?.drained ?? 0,
      lossPermille: this.intake.lastLossPermille,
      unicastBlocks: this.stats.unicastBlocks,
    };
  }
}
