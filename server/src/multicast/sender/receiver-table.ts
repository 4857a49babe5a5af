/**
 * The sender's view of each receiver: its key, replay guard, done-map (from JOIN/REPORT windows),
 * last sign of life and final state. Receivers are keyed by receiverId hex.
 */
import { deriveReceiverKey } from '../wire/mac.ts';
import type { ReportMessage } from '../wire/messages.ts';
import type { ReceiverPhase, ReceiverProgress } from './ports.ts';

export interface ReceiverEntry {
  readonly idHex: string;
  readonly id: Uint8Array;
  readonly key: Buffer;
  incarnation: number;
  lastSeq: number;
  lastSeen: number;
  phase: ReceiverPhase;
  failReason: string | null;
  readonly done: Uint8Array;
  doneCount: number;
  lossPermille: number;
  nackedFragments: number;
  joinedAt: number;
  /** When the last REPORT arrived: AIMD only trusts fresh loss figures. */
  lastReportAt: number;
  /** Where replies go: the source of its last accepted datagram. */
  address: string;
  port: number;
  /** Late-join bound decided at this incarnation's JOIN (0: none). */
  unicastBelow: number;
}

export class ReceiverTable {
  private readonly entries = new Map<string, ReceiverEntry>();
  private readonly keys = new Map<string, Buffer>();

  private readonly masterKey: Uint8Array;
  private readonly blockCount: number;

  constructor(masterKey: Uint8Array, blockCount: number) {
    this.masterKey = masterKey;
    this.blockCount = blockCount;
  }

  /** Derived once per receiverId: the MAC check of every control datagram needs it. */
  keyFor(id: Uint8Array): Buffer {
    const hex = Buffer.from(id).toString('hex');
    let k = this.keys.get(hex);
    if (!k) {
      if (this.keys.size > 10_000) this.keys.clear();
      k = deriveReceiverKey(this.masterKey, id);
      this.keys.set(hex, k);
    }
    return k;
  }

  get(id: Uint8Array): ReceiverEntry | undefined {
    return this.entries.get(Buffer.from(id).toString('hex'));
  }

  all(): IterableIterator<ReceiverEntry> {
    return this.entries.values();
  }

  /** Receivers that still decide what is sent: joined or receiving. */
  *active(): IterableIterator<ReceiverEntry> {
    for (const e of this.entries.values()) if (e.phase === 'joined' || e.phase === 'receiving') yield e;
  }

  activeCount(): number {
    let n = 0;
    for (const _ of this.active()) n++;
    return n;
  }

  /** A JOIN: a new receiver, or a known one restarting (new incarnation, its map replaces the old one). */
  join(m: ReportMessage, now: number): ReceiverEntry {
    const idHex = Buffer.from(m.receiverId).toString('hex');
    let e = this.entries.get(idHex);
    if (!e) {
      e = {
        idHex,
        id: Buffer.from(m.receiverId),
        key: this.keyFor(m.receiverId),
        incarnation: m.incarnation,
        lastSeq: m.seq - 1,
        lastSeen: now,
        phase: 'joined',
        failReason: null,
        done: new Uint8Array(Math.ceil(this.blockCount / 8)),
        doneCount: 0,
        lossPermille: 0,
        nackedFragments: 0,
        joinedAt: now,
        lastReportAt: 0,
        address: '',
        port: 0,
        unicastBelow: 0,
      };
      this.entries.set(idHex, e);
    } else if (e.incarnation !== m.incarnation) {
      e.incarnation = m.incarnation;
      e.lastSeq = m.seq - 1;
      e.done.fill(0);
      e.doneCount = 0;
      e.unicastBelow = 0;
      if (e.phase === 'complete') e.phase = 'joined';
    }
    return e;
  }

  /** Replay guard: a datagram of the current incarnation with a higher seq than any seen. */
  accept(e: ReceiverEntry, incarnation: number, seq: number, now: number): boolean {
    if (incarnation !== e.incarnation || seq <= e.lastSeq) return false;
    e.lastSeq = seq;
    e.lastSeen = now;
    return true;
  }

  /** Merges a done-map window (done bits only ever set within one incarnation). */
  applyMap(e: ReceiverEntry, m: ReportMessage): void {
    const startByte = m.mapStart / 8;
    const lastByte = e.done.length - 1;
    const lastMask = this.blockCount % 8 === 0 ? 0xff : (1 << (this.blockCount % 8)) - 1;
    for (let j = 0; j < m.map.length && startByte + j < e.done.length; j++) {
      const before = e.done[startByte + j] ?? 0;
      const after = before | ((m.map[j] ?? 0) & (startByte + j === lastByte ? lastMask : 0xff));
      if (after !== before) {
        e.done[startByte + j] = after;
        e.doneCount += popcount(after & ~before);
      }
    }
    e.lossPermille = m.lossPermille;
  }

  progress(e: ReceiverEntry, now: number, bytesDone: number): ReceiverProgress {
    return {
      receiverId: e.idHex,
      phase: e.phase,
      failReason: e.failReason,
      blocksDone: e.doneCount,
      blocksTotal: this.blockCount,
      bytesDone,
      lossPermille: e.lossPermille,
      nackedFragments: e.nackedFragments,
      lastSeenMsAgo: Math.max(0, now - e.lastSeen),
    };
  }
}

export function hasBlock(done: Uint8Array, i: number): boolean {
  return ((done[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}
