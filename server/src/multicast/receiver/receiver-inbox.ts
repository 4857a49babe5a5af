/**
 * Everything that arrives on the receiver's socket: DATA through the allocation-free path to the
 * intake, group control (BEACON, END) and replies (WELCOME, ACK, DROP) through the full codec,
 * each authenticated with the key PROTOCOL.md gives it.
 */
import { MessageType } from '../wire/constants.ts';
import { decodeBody } from '../wire/decode.ts';
import { newFastData, readFastData } from '../wire/fast-data.ts';
import { checkFrameMac, type Frame, parseFrame } from '../wire/frame.ts';
import { macMatches } from '../wire/mac.ts';
import type { Message } from '../wire/messages.ts';
import { WireError } from '../wire/wire-errors.ts';
import type { DataIntake } from './data-intake.ts';
import type { DoneMap } from './done-map.ts';
import type { ReceiverPhase } from './ports.ts';
import type { ReceiverKeys } from './receiver-keys.ts';
import type { ReceiverOptions } from './receiver-options.ts';

/** The receiver state the inbox reads and moves. */
export interface InboxHost {
  readonly o: ReceiverOptions;
  readonly keys: ReceiverKeys;
  readonly stats: { rejected: number };
  readonly intake: DataIntake;
  readonly done: DoneMap;
  phase: ReceiverPhase;
  cursor: number;
  unicastBelow: number;
  acked: boolean;
  lastHeard: number;
  fail(reason: string): void;
  checkComplete(ended?: boolean): void;
}

export class ReceiverInbox {
  private readonly r: InboxHost;
  private readonly fast = newFastData();

  constructor(r: InboxHost) {
    this.r = r;
  }

  /**
   * DATA takes the allocation-free path; everything else the full codec. `msg` may be a reused
   * buffer (socket-drain.ts): DATA is copied out by the intake, a control frame copied here.
   */
  onDatagram(msg: Buffer): void {
    if (msg.length > 3 && msg[3] === MessageType.Data) {
      this.onDataDatagram(msg);
      return;
    }
    const frame = parseFrame(Buffer.from(msg));
    if (frame instanceof WireError || frame.sessionId !== this.r.keys.sessionId) {
      this.r.stats.rejected++;
      return;
    }
    const m = this.authenticate(frame);
    if (m === null) {
      this.r.stats.rejected++;
      return;
    }
    this.r.lastHeard = Date.now();
    this.onControl(m);
  }

  private onDataDatagram(msg: Buffer): void {
    const f = this.fast;
    const { keys, intake } = this.r;
    if (!readFastData(msg, keys.sessionHi, keys.sessionLo, f)) {
      this.r.stats.rejected++;
      return;
    }
    if (this.r.o.ticket.dataMac || f.hasMac) {
      const end = msg.length - 16;
      if (!f.hasMac || !macMatches(keys.groupKey, msg.subarray(0, end), msg.subarray(end))) {
        this.r.stats.rejected++;
        return;
      }
      // Only an authenticated datagram proves the sender alive; without DATA MACs the BEACONs
      // (every 250 ms) do, so forged DATA cannot hide a dead sender.
      this.r.lastHeard = intake.now;
    }
    intake.onData(f, msg);
  }

  /** MAC with the group key (sender → group) or this receiver's key (replies), per PROTOCOL.md. */
  private authenticate(frame: Frame): Message | null {
    const toGroup =
      frame.type === MessageType.Data || frame.type === MessageType.Beacon || frame.type === MessageType.End;
    const reply =
      frame.type === MessageType.Welcome || frame.type === MessageType.Ack || frame.type === MessageType.Drop;
    if (!toGroup && !reply) return null;
    const needMac = frame.type !== MessageType.Data || this.r.o.ticket.dataMac || frame.hasMac;
    const keys = this.r.keys;
    if (needMac && checkFrameMac(frame, toGroup ? keys.groupKey : keys.receiverKey)) return null;
    const m = decodeBody(frame);
    if (m instanceof WireError) return null;
    if ('receiverId' in m && (!keys.receiverId.equals(m.receiverId) || m.incarnation !== keys.incarnation))
      return null;
    return m;
  }

  private onControl(m: Message): void {
    const r = this.r;
    switch (m.type) {
      case MessageType.Beacon:
        if (m.blockCount !== r.done.blockCount) {
          r.fail(`sender has ${m.blockCount} blocks, manifest ${r.done.blockCount}`);
          return;
        }
        r.cursor = Math.max(r.cursor, m.mainCursor);
        return;
      case MessageType.Welcome:
        if (r.phase === 'joining') {
          r.phase = 'receiving';
          r.unicastBelow = m.unicastBelow;
          r.intake.startUnicast();
        }
        return;
      case MessageType.Ack:
        r.acked = true;
        r.checkComplete();
        return;
      case MessageType.Drop:
        r.fail(`dropped by the sender (reason ${m.reason})`);
        return;
      case MessageType.End:
        if (r.done.complete) {
          r.checkComplete(true);
          return;
        }
        r.intake.finishByUnicast('session ended before this receiver had every block');
        return;
      default:
        return;
    }
  }
}
