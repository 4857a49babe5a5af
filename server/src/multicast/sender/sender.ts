/**
 * The multicast sender: one UDP socket for data (to the group) and one for control (from
 * receivers), a paced send loop, repairs from NACKs, stall detection and a report per receiver.
 * This file holds the session's lifecycle; the control channel, the send loop and the sockets
 * have their own files.
 */
import { createSocket, type Socket } from 'node:dgram';
import { SenderState } from '../wire/constants.ts';
import { encodeBeacon, encodeEnd } from '../wire/encode.ts';
import { BlockCache } from './block-cache.ts';
import { ControlChannel, type SessionControl } from './control-channel.ts';
import { Emitter } from './emitter.ts';
import { Pacer } from './pacer.ts';
import type { ReceiverProgress, SenderSnapshot, SessionPhase } from './ports.ts';
import { hasBlock, type ReceiverEntry, ReceiverTable } from './receiver-table.ts';
import { RepairQueue } from './repair-queue.ts';
import { SendLoop } from './send-loop.ts';
import { type SenderOptions, type SenderOptionsInput, senderDefaults } from './sender-options.ts';
import { bindControl, connectData } from './sender-sockets.ts';

export interface SessionReport extends SenderSnapshot {
  readonly durationMs: number;
  readonly runningMs: number;
  readonly rejectedDatagrams: number;
}

export class SenderConfigError extends Error {
  readonly code = 'SENDER_CONFIG';
}

export class MulticastSender implements SessionControl {
  readonly options: SenderOptions;
  /** Control: bound to controlPort, receives JOIN/REPORT/NACK and sends the unicast replies. */
  private readonly socket: Socket;
  /** Data: connected to group:dataPort, so a send skips the per-datagram address lookup. */
  private readonly dataSocket: Socket;
  private readonly table: ReceiverTable;
  private readonly emitter: Emitter;
  private readonly pacer: Pacer;
  private readonly control: ControlChannel;
  private readonly loop: SendLoop;
  phase: SessionPhase = 'waiting';
  ending = false;
  private failReason: string | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly started = Date.now();
  private runningAt = 0;
  private readonly stats = {
    bytesSent: 0,
    repairBytesSent: 0,
    datagramsSent: 0,
    rejected: 0,
    sendErrors: 0,
  };
  private lastAdapt = 0;
  private finish: (r: SessionReport) => void = () => {};
  private readonly onSent = (error: Error | null) => {
    if (error) this.stats.sendErrors++;
  };

  constructor(input: SenderOptionsInput) {
    this.options = senderDefaults(input);
    const o = this.options;
    for (let i = 0; i < o.source.blockCount; i++) {
      const { storedSize } = o.source.block(i);
      if (storedSize < 1 || Math.ceil(storedSize / o.fragmentSize) > 0xffff) {
        throw new SenderConfigError(
          `block ${i}: stored size ${storedSize} cannot be sent in fragments of ${o.fragmentSize}`,
        );
      }
    }
    this.table = new ReceiverTable(o.secrets.masterKey, o.source.blockCount);
    const cache = new BlockCache(o.source, o.cacheBlocks, {
      onLoaded: () => this.schedulePump(0),
      onError: (e) => this.fail(e.message),
      // A datagram still queued in the socket, or the main pass's block, may reference it.
      mayReuse: (data) => this.dataSocket.getSendQueueCount() === 0 && !this.emitter.holds(data),
    });
    const repairs = new RepairQueue();
    const key = o.dataMac ? o.secrets.groupKey : null;
    this.emitter = new Emitter(o.secrets.sessionId, o.source, cache, repairs, o.fragmentSize, key, (i) =>
      this.needed(i),
    );
    this.pacer = new Pacer(o, Date.now());
    this.socket = createSocket({ type: 'udp4', reuseAddr: true });
    this.dataSocket = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
    const parts = { table: this.table, repairs, emitter: this.emitter };
    this.control = new ControlChannel(o, this.socket, parts, this, this.stats);
    this.loop = new SendLoop(
      { socket: this.dataSocket, emitter: this.emitter, pacer: this.pacer },
      o,
      this.stats,
      () => this.phase === 'running' && !this.ending,
    );
  }

  /** Runs the session to its end: resolves with the report, complete or failed (never rejects). */
  async run(): Promise<SessionReport> {
    const o = this.options;
    await bindControl(this.socket, o);
    await connectData(this.dataSocket, o);
    this.dataSocket.on('error', () => this.stats.sendErrors++);
    this.socket.on('message', (msg, rinfo) => this.control.onDatagram(msg, rinfo));
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

  schedulePump(ms: number): void {
    this.loop.schedule(ms);
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

  // ---- lifecycle ----

  checkStart(): void {
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

  markFailed(e: ReceiverEntry, reason: string): void {
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
        this.control.dropStalled(e);
      }
    }
  }

  checkEnd(): void {
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
    this.loop.stop();
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

  // ---- group traffic besides DATA, rate ----

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

  // ---- progress ----

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
