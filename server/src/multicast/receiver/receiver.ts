/**
 * The multicast receiver: joins the group, reassembles fragments into blocks, has every block
 * verified by the sink before it is written, asks for what it missed, reports its done-map, and
 * resumes from a persisted one. Nothing unverified is ever written.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { MessageType } from '../wire/constants.ts';
import { decodeBody } from '../wire/decode.ts';
import { encodeNack, encodeReport } from '../wire/encode.ts';
import { newFastData, readFastData } from '../wire/fast-data.ts';
import { checkFrameMac, type Frame, parseFrame } from '../wire/frame.ts';
import { macMatches } from '../wire/mac.ts';
import type { Message } from '../wire/messages.ts';
import { WireError } from '../wire/wire-errors.ts';
import { DataIntake, type ReceiverContext } from './data-intake.ts';
import { DoneMap } from './done-map.ts';
import { chunkEntries, NackPlanner } from './nack-planner.ts';
import type { ReceiverPhase, ReceiverSnapshot } from './ports.ts';
import { Reassembler } from './reassembler.ts';
import { type ReceiverOptions, type ReceiverOptionsInput, receiverDefaults } from './receiver-options.ts';

export interface ReceiverReport extends ReceiverSnapshot {
  readonly durationMs: number;
}

export class MulticastReceiver implements ReceiverContext {
  readonly o: ReceiverOptions;
  readonly sessionId: bigint;
  readonly groupKey: Buffer;
  private readonly receiverId: Buffer;
  private readonly receiverKey: Buffer;
  private readonly incarnation = randomInt(1, 0xffffffff);
  private seq = 0;
  private socket: Socket | null = null;
  phase: ReceiverPhase = 'joining';
  private failReason: string | null = null;
  done!: DoneMap;
  readonly reassembler: Reassembler;
  readonly planner = new NackPlanner();
  readonly intake: DataIntake;
  cursor = 0;
  unicastBelow = 0;
  lastHeard = Date.now();
  readonly stats = { rejected: 0, datagrams: 0, nacked: 0, unicastBlocks: 0, badBlocks: 0 };
  private readonly timers: NodeJS.Timeout[] = [];
  private acked = false;
  private completeSince = 0;
  private readonly started = Date.now();
  private finish: (r: ReceiverReport) => void = () => {};
  private persistChain: Promise<void> = Promise.resolve();
  private persistDirty = false;

  constructor(input: ReceiverOptionsInput) {
    this.o = receiverDefaults(input);
    const t = this.o.ticket;
    this.sessionId = BigInt(`0x${t.sessionId}`);
    this.sessionHi = Number.parseInt(t.sessionId.slice(0, 8), 16);
    this.sessionLo = Number.parseInt(t.sessionId.slice(8), 16);
    this.groupKey = Buffer.from(t.groupKey, 'hex');
    this.receiverId = Buffer.from(t.receiverId, 'hex');
    this.receiverKey = Buffer.from(t.receiverKey, 'hex');
    let maxStored = 0;
    for (let i = 0; i < this.o.sink.blockCount; i++)
      maxStored = Math.max(maxStored, this.o.sink.storedSize(i));
    this.reassembler = new Reassembler(this.o.maxPartialBytes, t.fragmentSize, maxStored);
    this.intake = new DataIntake(this);
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
    this.every(this.o.nackIntervalMs, () => this.nackTick());
    this.every(this.o.heartbeatMs, () => this.heartbeat());
    this.every(this.o.persistIntervalMs, () => this.persist());
    this.every(this.o.progressIntervalMs, () => this.o.progress?.(this.snapshot()));
    this.sendJoin();
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
    s.on('message', (msg) => this.onDatagram(msg));
    s.on('error', (e) => this.fail(`socket: ${e.message}`));
  }

  // ---- incoming ----

  private readonly fast = newFastData();
  private readonly sessionHi: number;
  private readonly sessionLo: number;

  /** DATA takes the allocation-free path; everything else the full codec. */
  private onDatagram(msg: Buffer): void {
    if (msg.length > 3 && msg[3] === MessageType.Data) {
      this.onDataDatagram(msg);
      return;
    }
    const frame = parseFrame(msg);
    if (frame instanceof WireError || frame.sessionId !== this.sessionId) {
      this.stats.rejected++;
      return;
    }
    const m = this.authenticate(frame);
    if (m === null) {
      this.stats.rejected++;
      return;
    }
    this.lastHeard = Date.now();
    this.onControl(m);
  }

  private onDataDatagram(msg: Buffer): void {
    const f = this.fast;
    if (!readFastData(msg, this.sessionHi, this.sessionLo, f)) {
      this.stats.rejected++;
      return;
    }
    if (this.o.ticket.dataMac || f.hasMac) {
      const end = msg.length - 16;
      if (!f.hasMac || !macMatches(this.groupKey, msg.subarray(0, end), msg.subarray(end))) {
        this.stats.rejected++;
        return;
      }
    }
    this.lastHeard = this.intake.now;
    this.intake.onData(f, msg);
  }

  /** MAC with the group key (sender → group) or this receiver's key (replies), per PROTOCOL.md. */
  private authenticate(frame: Frame): Message | null {
    const toGroup =
      frame.type === MessageType.Data || frame.type === MessageType.Beacon || frame.type === MessageType.End;
    const reply =
      frame.type === MessageType.Welcome || frame.type === MessageType.Ack || frame.type === MessageType.Drop;
    if (!toGroup && !reply) return null;
    const needMac = frame.type !== MessageType.Data || this.o.ticket.dataMac || frame.hasMac;
    if (needMac && checkFrameMac(frame, toGroup ? this.groupKey : this.receiverKey)) return null;
    const m = decodeBody(frame);
    if (m instanceof WireError) return null;
    if ('receiverId' in m && (!this.receiverId.equals(m.receiverId) || m.incarnation !== this.incarnation))
      return null;
    return m;
  }

  private onControl(m: Message): void {
    switch (m.type) {
      case MessageType.Beacon:
        if (m.blockCount !== this.done.blockCount) {
          this.fail(`sender has ${m.blockCount} blocks, manifest ${this.done.blockCount}`);
          return;
        }
        this.cursor = Math.max(this.cursor, m.mainCursor);
        return;
      case MessageType.Welcome:
        if (this.phase === 'joining') {
          this.phase = 'receiving';
          this.unicastBelow = m.unicastBelow;
          this.intake.startUnicast();
        }
        return;
      case MessageType.Ack:
        this.acked = true;
        this.checkComplete();
        return;
      case MessageType.Drop:
        this.fail(`dropped by the sender (reason ${m.reason})`);
        return;
      case MessageType.End:
        if (this.done.complete) {
          this.checkComplete(true);
          return;
        }
        this.intake.finishByUnicast('session ended before this receiver had every block');
        return;
      default:
        return;
    }
  }

  // ---- outgoing ----

  private send(datagram: Buffer): void {
    this.socket?.send(datagram, this.o.ticket.controlPort, this.o.ticket.senderAddress);
  }

  private identity() {
    this.seq = (this.seq + 1) >>> 0;
    return { receiverId: this.receiverId, incarnation: this.incarnation, seq: this.seq };
  }

  private report(join: boolean, windows: number[]): void {
    for (const w of windows) {
      const { mapStart, map } = this.done.window(w);
      this.send(
        encodeReport(
          this.sessionId,
          {
            ...this.identity(),
            join,
            blocksDone: this.done.count,
            complete: this.done.complete,
            failed: this.phase === 'failed',
            lossPermille: this.intake.takeLossPermille(),
            mapStart,
            map,
          },
          this.receiverKey,
        ),
      );
    }
  }

  private sendJoin(): void {
    this.report(
      true,
      Array.from({ length: this.done.windowCount }, (_, i) => i),
    );
  }

  private heartbeat(): void {
    if (this.phase === 'failed' || this.phase === 'complete') return;
    const now = Date.now();
    if (now - this.lastHeard > this.o.senderSilenceMs) {
      this.intake.finishByUnicast(`sender silent for ${now - this.lastHeard} ms`);
      return;
    }
    if (this.phase === 'joining') {
      this.sendJoin();
      return;
    }
    this.report(false, this.done.takeReportWindows());
    this.checkComplete();
  }

  private lastNackTick = Date.now();
  private skippedNackTick = false;

  private nackTick(): void {
    const now = Date.now();
    // A tick this late means the process was not scheduled: the socket buffer holds DATA not
    // read yet (the loop runs timers before the rest of the I/O), so asking now would ask for
    // what is already here. Skip one tick, never two in a row (timers are late all the time on
    // a loaded machine, and NACKs must still go out).
    const late = now - this.lastNackTick > 2 * this.o.nackIntervalMs && !this.skippedNackTick;
    this.lastNackTick = now;
    this.skippedNackTick = late;
    this.intake.now = now;
    if (this.phase !== 'receiving' || late) return;
    const entries = this.planner.plan({
      done: this.done,
      reassembler: this.reassembler,
      busy: (i) => this.intake.busy(i),
      cursor: this.cursor,
      now: Date.now(),
      renackMs: this.o.renackMs,
      quietMs: this.o.quietMs,
      maxEntries: 340,
    });
    for (const chunk of chunkEntries(entries)) {
      this.send(encodeNack(this.sessionId, this.identity(), chunk, this.receiverKey));
      for (const e of chunk) this.stats.nacked += e.fragCount === 0xffff ? 1 : e.fragCount;
    }
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
    if (this.socket) this.report(false, [0]);
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
      lossPermille: this.intake.lastLossPermille,
      unicastBlocks: this.stats.unicastBlocks,
    };
  }
}
