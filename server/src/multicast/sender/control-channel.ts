/**
 * The sender's control channel: authenticates JOIN/REPORT/NACK (each receiver's own key, replay
 * guard), keeps the receiver table and the repair queue current, and answers from the control
 * socket (WELCOME, ACK, DROP). Session lifecycle decisions stay with the sender (SessionControl).
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import { DropReason, MessageType } from '../wire/constants.ts';
import { claimedReceiverId, decodeBody } from '../wire/decode.ts';
import { encodeAck, encodeDrop, encodeWelcome } from '../wire/encode.ts';
import { checkFrameMac, parseFrame } from '../wire/frame.ts';
import type { NackMessage, ReportMessage } from '../wire/messages.ts';
import { WireError } from '../wire/wire-errors.ts';
import type { Emitter } from './emitter.ts';
import type { SessionPhase } from './ports.ts';
import { hasBlock, type ReceiverEntry, type ReceiverTable } from './receiver-table.ts';
import type { RepairQueue } from './repair-queue.ts';
import type { SenderOptions } from './sender-options.ts';

/** What the control channel needs from the session: its phase and its lifecycle steps. */
export interface SessionControl {
  readonly phase: SessionPhase;
  readonly ending: boolean;
  checkStart(): void;
  checkEnd(): void;
  markFailed(e: ReceiverEntry, reason: string): void;
  schedulePump(ms: number): void;
}

export interface ControlStats {
  rejected: number;
  sendErrors: number;
}

export class ControlChannel {
  private readonly o: SenderOptions;
  private readonly socket: Socket;
  private readonly table: ReceiverTable;
  private readonly repairs: RepairQueue;
  private readonly emitter: Emitter;
  private readonly session: SessionControl;
  private readonly stats: ControlStats;
  private readonly onSent = (error: Error | null) => {
    if (error) this.stats.sendErrors++;
  };

  constructor(
    o: SenderOptions,
    socket: Socket,
    parts: { table: ReceiverTable; repairs: RepairQueue; emitter: Emitter },
    session: SessionControl,
    stats: ControlStats,
  ) {
    this.o = o;
    this.socket = socket;
    this.table = parts.table;
    this.repairs = parts.repairs;
    this.emitter = parts.emitter;
    this.session = session;
    this.stats = stats;
  }

  onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    const frame = parseFrame(msg);
    if (frame instanceof WireError || frame.sessionId !== this.o.secrets.sessionId) {
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

  reply(e: { address: string; port: number }, datagram: Buffer): void {
    if (e.port === 0) return;
    this.socket.send(datagram, e.port, e.address, this.onSent);
  }

  /** DROP to a receiver the table already failed (stall bound): it stops and reports failure. */
  dropStalled(e: ReceiverEntry): void {
    this.reply(e, encodeDrop(this.o.secrets.sessionId, e.id, e.incarnation, DropReason.Stalled, e.key));
  }

  private drop(
    m: { receiverId: Uint8Array; incarnation: number },
    rinfo: RemoteInfo,
    reason: DropReason,
  ): void {
    const key = this.table.keyFor(m.receiverId);
    this.reply(rinfo, encodeDrop(this.o.secrets.sessionId, m.receiverId, m.incarnation, reason, key));
  }

  private onJoin(m: ReportMessage, rinfo: RemoteInfo): void {
    const now = Date.now();
    const known = this.table.get(m.receiverId);
    if (known?.phase === 'failed') {
      this.drop(m, rinfo, DropReason.FailedEarlier);
      return;
    }
    if (this.session.ending) {
      this.drop(m, rinfo, DropReason.SessionOver);
      return;
    }
    const fresh = !known || known.incarnation !== m.incarnation;
    const e = this.table.join(m, now);
    if (!this.table.accept(e, m.incarnation, m.seq, now)) return;
    e.address = rinfo.address;
    e.port = rinfo.port;
    this.applyReport(e, m, now);
    if (fresh && this.session.phase === 'running') e.unicastBelow = this.lateJoinBound(e);
    this.reply(e, encodeWelcome(this.o.secrets.sessionId, e.id, e.incarnation, e.unicastBelow, e.key));
    this.session.checkStart();
    this.session.schedulePump(0);
  }

  /** Past the bound, a late joiner takes what the main pass already sent by unicast. */
  private lateJoinBound(e: ReceiverEntry): number {
    const cursor = this.emitter.mainCursor;
    let missing = 0;
    for (let i = 0; i < cursor; i++) if (!hasBlock(e.done, i)) missing++;
    return missing > this.o.lateJoinUnicastBlocks ? cursor : 0;
  }

  /** The receiver this REPORT or NACK claims to be, if it may still speak; else answered with DROP. */
  private known(m: ReportMessage | NackMessage, rinfo: RemoteInfo): ReceiverEntry | null {
    const e = this.table.get(m.receiverId);
    if (!e) {
      this.drop(m, rinfo, DropReason.UnknownReceiver);
      return null;
    }
    if (e.phase === 'failed') {
      this.drop(m, rinfo, DropReason.FailedEarlier);
      return null;
    }
    return e;
  }

  private onReport(m: ReportMessage, rinfo: RemoteInfo): void {
    const now = Date.now();
    const e = this.known(m, rinfo);
    if (!e || !this.table.accept(e, m.incarnation, m.seq, now)) return;
    e.address = rinfo.address;
    e.port = rinfo.port;
    this.applyReport(e, m, now);
  }

  private applyReport(e: ReceiverEntry, m: ReportMessage, now: number): void {
    this.table.applyMap(e, m);
    e.lastReportAt = now;
    if (m.failed) {
      this.session.markFailed(e, 'receiver reported failure');
      return;
    }
    if (m.complete && m.blocksDone === this.o.source.blockCount) {
      if (e.phase !== 'complete') e.phase = 'complete';
      this.reply(e, encodeAck(this.o.secrets.sessionId, e.id, e.incarnation, e.key));
      this.session.checkEnd();
    } else if (e.phase === 'joined' && this.session.phase === 'running') {
      e.phase = 'receiving';
    }
  }

  private onNack(m: NackMessage, rinfo: RemoteInfo): void {
    const now = Date.now();
    const e = this.known(m, rinfo);
    if (!e || !this.table.accept(e, m.incarnation, m.seq, now) || this.session.phase !== 'running') return;
    const count = this.o.source.blockCount;
    for (const entry of m.entries) {
      if (entry.blockIndex >= count) continue;
      e.nackedFragments += this.repairs.add(entry, this.emitter.fragCount(entry.blockIndex));
    }
    this.session.schedulePump(0);
  }
}
