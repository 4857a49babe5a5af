/**
 * The multicast sender: one UDP socket for data (to the group) and control (from receivers),
 * a paced send loop, repairs from NACKs, stall detection and a report per receiver.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  DATA_BODY_FIXED_BYTES,
  DropReason,
  HEADER_BYTES,
  MAC_BYTES,
  MessageType,
  SenderState,
  wireBytes,
} from '../wire/constants.ts';
import { claimedReceiverId, decodeBody } from '../wire/decode.ts';
import { encodeAck, encodeBeacon, encodeDrop, encodeEnd, encodeWelcome } from '../wire/encode.ts';
import { checkFrameMac, parseFrame } from '../wire/frame.ts';
import type { NackMessage, ReportMessage } from '../wire/messages.ts';
import { WireError } from '../wire/wire-errors.ts';
import { BlockCache } from './block-cache.ts';
import { Emitter } from './emitter.ts';
import { Pacer } from './pacer.ts';
import type { ReceiverProgress, SenderSnapshot, SessionPhase } from './ports.ts';
import { hasBlock, type ReceiverEntry, ReceiverTable } from './receiver-table.ts';
import { RepairQueue } from './repair-queue.ts';
import { type SenderOptions, type SenderOptionsInput, senderDefaults } from './sender-options.ts';

export interface SessionReport extends SenderSnapshot {
  readonly durationMs: number;
  readonly runningMs: number;
  readonly rejectedDatagrams: number;
}

export class SenderConfigError extends Error {
  readonly code = 'SENDER_CONFIG';
}

const MAX_SEND_QUEUE = 256;

export class MulticastSender {
  readonly options: SenderOptions;
  /** Control: bound to controlPort, receives JOIN/REPORT/NACK and sends the unicast replies. */
  private readonly socket: Socket;
  /** Data: connected to group:dataPort, so a send skips the per-datagram address lookup. */
  private readonly dataSocket: Socket;
  private readonly table: ReceiverTable;
  private readonly repairs = new RepairQueue();
  private readonly emitter: Emitter;
  private readonly pacer: Pacer;
  private phase: SessionPhase = 'waiting';
  private ending = false;
  private failReason: string | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private pumpTimer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();
  private runningAt = 0;
  private stats = { bytesSent: 0, repairBytesSent: 0, datagramsSent: 0, rejected: 0, sendErrors: 0 };
  private lastAdapt = 0;
  /** Wire bytes of a full DATA datagram: the pacer waits until that many tokens are there. */
  private readonly fullDatagram: number;
  private finish: (r: SessionReport) => void = () => {};
  private readonly onSent = (error: Error | null) => {
    if (error) this.stats.sendErrors++;
  };

  constructor(input: SenderOptionsInput) {
    this.options = senderDefaults(input);
    const o = this.options;
    const overhead = HEADER_BYTES + DATA_BODY_FIXED_BYTES + (o.dataMac ? MAC_BYTES : 0);
    this.fullDatagram = wireBytes(o.fragmentSize + overhead);
    for (let i = 0; i < o.source.blockCount; i++) {
      const { storedSize } = o.source.block(i);
      if (storedSize < 1 || Math.ceil(storedSize / o.fragmentSize) > 0xffff) {
        throw new SenderConfigError(
          `block ${i}: stored size ${storedSize} cannot be sent in fragments of ${o.fragmentSize}`,
        );
      }
    }
    this.table = new ReceiverTable(o.secrets.masterKey, o.source.blockCount);
    const cache = new BlockCache(
      o.source,
      o.cacheBlocks,
      () => this.schedulePump(0),
      (e) => this.fail(e.message),
    );
    const key = o.dataMac ? o.secrets.groupKey : null;
    this.emitter = new Emitter(o.secrets.sessionId, o.source, cache, this.repairs, o.fragmentSize, key, (i) =>
      this.needed(i),
    );
    this.pacer = new Pacer(o, Date.now());
    this.socket = createSocket({ type: 'udp4', reuseAddr: true });
    this.dataSocket = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
  }

  private async openDataSocket(): Promise<void> {
    const o = this.options;
    const s = this.dataSocket;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind({ address: o.interfaceAddress, port: 0 }, () => {
        s.setMulticastTTL(o.ttl);
        s.setMulticastInterface(o.interfaceAddress);
        s.setMulticastLoopback(o.loopback);
        s.connect(o.dataPort, o.group, () => {
          s.off('error', reject);
          resolve();
        });
      });
    });
    s.on('error', () => this.stats.sendErrors++);
  }

  /** Runs the session to its end: resolves with the report, complete or failed (never rejects). */
  async run(): Promise<SessionReport> {
    const o = this.options;
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind({ address: o.interfaceAddress, port: o.controlPort }, () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
    await this.openDataSocket();
    this.socket.on('message', (msg, rinfo) => this.onControl(msg, rinfo));
    this.socket.on('error', () => this.stats.sendErrors++);
    const done = new Promise<SessionReport>((resolve) => {
      this.finish = resolve;
    });
    this.every(250, () => this.beacon());
    this.every(250, () => this.checkStalls());
    this.every(200, () => this.adapt());
    this.every(o.progressIntervalMs, () => this.emitProgress());
    this.timers.push(setTimeout(() => this.waitExpired(), o.maxWaitMs));
    this.beacon();
    return done;
  }

  /** Stops at once: the session fails with this reason. */
  abort(reason: string): void {
    this.fail(reason);
  }

  private every(ms: number, f: () => void): void {
    this.timers.push(setInterval(f, ms));
  }

  private needed(index: number): boolean {
    for (const e of this.table.active()) {
      if (index < e.unicastBelow) continue;
      if (!hasBlock(e.done, index)) return true;
    }
    return false;
  }

  // ---- control channel ----

  private onControl(msg: Buffer, rinfo: RemoteInfo): void {
    const frame = parseFrame(msg);
    if (frame instanceof WireError || frame.sessionId !== this.options.secrets.sessionId) {
      this.stats.rejected++;
      return;
    }
    const id = claimedReceiverId(frame);
    const isControl =
      frame.type === MessageType.Join || frame.type === MessageType.Report || frame.type === MessageType.Nack;
    if (!isControl || !id || checkFrameMac(frame, this.table.keyFor(id))) {
      this.stats.rejected++;
      return;
    }
    const m = decodeBody(frame);
    if (m instanceof WireError) {
      this.stats.rejected++;
      return;
    }
    if (m.type === MessageType.Join) this.onJoin(m, rinfo);
    else if (m.type === MessageType.Report) this.onReport(m, rinfo);
    else if (m.type === MessageType.Nack) this.onNack(m, rinfo);
  }

  private reply(e: { address: string; port: number }, datagram: Buffer): void {
    if (e.port === 0) return;
    this.socket.send(datagram, e.port, e.address, this.onSent);
  }

  private drop(
    m: { receiverId: Uint8Array; incarnation: number },
    rinfo: RemoteInfo,
    reason: DropReason,
  ): void {
    const key = this.table.keyFor(m.receiverId);
    this.reply(rinfo, encodeDrop(this.options.secrets.sessionId, m.receiverId, m.incarnation, reason, key));
  }

  private onJoin(m: ReportMessage, rinfo: RemoteInfo): void {
    const now = Date.now();
    const known = this.table.get(m.receiverId);
    if (known?.phase === 'failed') {
      this.drop(m, rinfo, DropReason.FailedEarlier);
      return;
    }
    if (this.ending) {
      this.drop(m, rinfo, DropReason.SessionOver);
      return;
    }
    const fresh = !known || known.incarnation !== m.incarnation;
    const e = this.table.join(m, now);
    if (!this.table.accept(e, m.incarnation, m.seq, now)) return;
    e.address = rinfo.address;
    e.port = rinfo.port;
    this.applyReport(e, m, now);
    if (fresh && this.phase === 'running') e.unicastBelow = this.lateJoinBound(e);
    this.reply(e, encodeWelcome(this.options.secrets.sessionId, e.id, e.incarnation, e.unicastBelow, e.key));
    this.checkStart();
    this.schedulePump(0);
  }

  /** Past the bound, a late joiner takes what the main pass already sent by unicast. */
  private lateJoinBound(e: ReceiverEntry): number {
    const cursor = this.emitter.mainCursor;
    let missing = 0;
    for (let i = 0; i < cursor; i++) if (!hasBlock(e.done, i)) missing++;
    return missing > this.options.lateJoinUnicastBlocks ? cursor : 0;
  }

  private onReport(m: ReportMessage, rinfo: RemoteInfo): void {
    const now = Date.now();
    const e = this.table.get(m.receiverId);
    if (!e) {
      this.drop(m, rinfo, DropReason.UnknownReceiver);
      return;
    }
    if (e.phase === 'failed') {
      this.drop(m, rinfo, DropReason.FailedEarlier);
      return;
    }
    if (!this.table.accept(e, m.incarnation, m.seq, now)) return;
    e.address = rinfo.address;
    e.port = rinfo.port;
    this.applyReport(e, m, now);
  }

  private applyReport(e: ReceiverEntry, m: ReportMessage, now: number): void {
    this.table.applyMap(e, m);
    e.lastReportAt = now;
    if (m.failed) {
      this.markFailed(e, 'receiver reported failure');
      return;
    }
    if (m.complete && m.blocksDone === this.options.source.blockCount) {
      if (e.phase !== 'complete') e.phase = 'complete';
      this.reply(e, encodeAck(this.options.secrets.sessionId, e.id, e.incarnation, e.key));
      this.checkEnd();
    } else if (e.phase === 'joined' && this.phase === 'running') {
      e.phase = 'receiving';
    }
  }

  private onNack(m: NackMessage, rinfo: RemoteInfo): void {
    const now = Date.now();
    const e = this.table.get(m.receiverId);
    if (!e) {
      this.drop(m, rinfo, DropReason.UnknownReceiver);
      return;
    }
    if (e.phase === 'failed') {
      this.drop(m, rinfo, DropReason.FailedEarlier);
      return;
    }
    if (!this.table.accept(e, m.incarnation, m.seq, now) || this.phase !== 'running') return;
    const count = this.options.source.blockCount;
    for (const entry of m.entries) {
      if (entry.blockIndex >= count) continue;
      e.nackedFragments += this.repairs.add(entry, this.emitter.fragCount(entry.blockIndex));
    }
    this.schedulePump(0);
  }

  // ---- lifecycle ----

  private checkStart(): void {
    if (this.phase === 'waiting' && this.table.activeCount() >= this.options.minReceivers)
      this.startRunning();
  }

  private waitExpired(): void {
    if (this.phase !== 'waiting') return;
    if (this.table.activeCount() > 0) this.startRunning();
    else this.fail('no receivers joined before maxWait');
  }

  private startRunning(): void {
    this.phase = 'running';
    this.runningAt = Date.now();
    for (const e of this.table.active()) e.phase = 'receiving';
    this.emitProgress();
    this.schedulePump(0);
  }

  private markFailed(e: ReceiverEntry, reason: string): void {
    e.phase = 'failed';
    e.failReason = reason;
    this.emitProgress();
    this.checkEnd();
  }

  private checkStalls(): void {
    const now = Date.now();
    for (const e of [...this.table.active()]) {
      if (now - e.lastSeen > this.options.stallMs) {
        this.markFailed(e, `stalled: silent for ${now - e.lastSeen} ms`);
        this.reply(
          e,
          encodeDrop(this.options.secrets.sessionId, e.id, e.incarnation, DropReason.Stalled, e.key),
        );
      }
    }
  }

  private checkEnd(): void {
    if (this.phase !== 'running' || this.ending || this.table.activeCount() > 0) return;
    let complete = 0;
    for (const e of this.table.all()) if (e.phase === 'complete') complete++;
    if (complete === 0) this.fail('every receiver failed');
    else void this.end('complete');
  }

  private fail(reason: string): void {
    if (this.ending) return;
    this.failReason = reason;
    for (const e of [...this.table.active()]) {
      e.phase = 'failed';
      e.failReason = `session failed: ${reason}`;
    }
    void this.end('failed');
  }

  private async end(outcome: 'complete' | 'failed'): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    for (const t of this.timers) clearInterval(t);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    let complete = 0;
    for (const e of this.table.all()) if (e.phase === 'complete') complete++;
    const { sessionId, groupKey } = this.options.secrets;
    for (let i = 0; i < 3; i++) {
      this.dataSocket.send(
        encodeEnd(sessionId, outcome === 'complete' ? 0 : 1, complete, groupKey),
        this.onSent,
      );
      await new Promise((r) => setTimeout(r, 50));
    }
    this.phase = outcome;
    const snapshot = this.snapshot();
    this.options.progress?.(snapshot);
    await new Promise<void>((r) => this.socket.close(() => r()));
    await new Promise<void>((r) => this.dataSocket.close(() => r()));
    const now = Date.now();
    this.finish({
      ...snapshot,
      durationMs: now - this.started,
      runningMs: this.runningAt ? now - this.runningAt : 0,
      rejectedDatagrams: this.stats.rejected,
    });
  }

  // ---- sending ----

  private schedulePump(ms: number): void {
    if (this.pumpTimer || this.ending || this.phase !== 'running') return;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = null;
      this.pump();
    }, ms);
  }

  private pump(): void {
    if (this.phase !== 'running' || this.ending) return;
    const now = Date.now();
    this.pacer.refill(now);
    for (;;) {
      if (this.dataSocket.getSendQueueCount() > MAX_SEND_QUEUE) {
        this.schedulePump(1);
        return;
      }
      if (!this.pacer.canSend(this.fullDatagram)) {
        this.schedulePump(Math.max(1, this.pacer.waitFor(this.fullDatagram)));
        return;
      }
      const d = this.emitter.next();
      if (d === 'idle' || d === 'loading') return;
      // No callback: Node then tries a synchronous send (uv_udp_try_send) and allocates no request;
      // errors still reach the socket's 'error' listener (counted in sendErrors).
      this.dataSocket.send(d.parts);
      const wire = wireBytes(d.bytes);
      this.pacer.spend(wire);
      this.stats.bytesSent += d.bytes;
      this.stats.datagramsSent++;
      if (d.repair) this.stats.repairBytesSent += d.bytes;
    }
  }

  private beacon(): void {
    const { sessionId, groupKey } = this.options.secrets;
    const state = this.phase === 'waiting' ? SenderState.Waiting : SenderState.Running;
    const b = encodeBeacon(
      sessionId,
      {
        state,
        activeReceivers: this.table.activeCount(),
        mainCursor: this.emitter.mainCursor,
        blockCount: this.options.source.blockCount,
        rateKiBps: this.pacer.rate / 1024,
      },
      groupKey,
    );
    this.dataSocket.send(b, this.onSent);
  }

  private adapt(): void {
    const since = this.lastAdapt;
    this.lastAdapt = Date.now();
    let worst = -1;
    for (const e of this.table.active()) if (e.lastReportAt > since) worst = Math.max(worst, e.lossPermille);
    if (worst >= 0 && this.phase === 'running') this.pacer.adapt(worst);
  }

  private snapshot(): SenderSnapshot {
    const now = Date.now();
    const receivers: ReceiverProgress[] = [];
    for (const e of this.table.all()) receivers.push(this.table.progress(e, now, this.bytesDone(e)));
    return {
      phase: this.phase,
      failReason: this.failReason,
      mainCursor: this.emitter.mainCursor,
      blockCount: this.options.source.blockCount,
      rateBytesPerSecond: this.pacer.rate,
      bytesSent: this.stats.bytesSent,
      repairBytesSent: this.stats.repairBytesSent,
      datagramsSent: this.stats.datagramsSent,
      receivers,
    };
  }

  private bytesDone(e: ReceiverEntry): number {
    let n = 0;
    for (let i = 0; i < this.options.source.blockCount; i++)
      if (hasBlock(e.done, i)) n += this.options.source.block(i).length;
    return n;
  }

  private emitProgress(): void {
    if (!this.ending) this.options.progress?.(this.snapshot());
  }
}
