/**
 * What the receiver sends to the sender: JOIN and REPORT (done-map windows, loss) and NACKs, each
 * with this incarnation's next seq and this receiver's MAC.
 */
import { encodeNack, encodeReport } from '../wire/encode.ts';
import type { DataIntake } from './data-intake.ts';
import type { DoneMap } from './done-map.ts';
import { chunkEntries, type NackPlanner } from './nack-planner.ts';
import type { ReceiverPhase } from './ports.ts';
import type { Reassembler } from './reassembler.ts';
import type { ReceiverKeys } from './receiver-keys.ts';
import type { ReceiverOptions } from './receiver-options.ts';

/** The receiver state the outbox reads. */
export interface OutboxHost {
  readonly o: ReceiverOptions;
  readonly keys: ReceiverKeys;
  readonly done: DoneMap;
  readonly phase: ReceiverPhase;
  readonly intake: DataIntake;
  readonly planner: NackPlanner;
  readonly reassembler: Reassembler;
  readonly cursor: number;
  readonly stats: { nacked: number };
}

export class ReceiverOutbox {
  private readonly r: OutboxHost;
  private readonly send: (datagram: Buffer) => void;
  private seq = 0;
  private lastNackTick = Date.now();
  private skippedNackTick = false;

  constructor(r: OutboxHost, send: (datagram: Buffer) => void) {
    this.r = r;
    this.send = send;
  }

  private identity() {
    this.seq = (this.seq + 1) >>> 0;
    const { receiverId, incarnation } = this.r.keys;
    return { receiverId, incarnation, seq: this.seq };
  }

  report(join: boolean, windows: number[]): void {
    const r = this.r;
    for (const w of windows) {
      const { mapStart, map } = r.done.window(w);
      this.send(
        encodeReport(
          r.keys.sessionId,
          {
            ...this.identity(),
            join,
            blocksDone: r.done.count,
            complete: r.done.complete,
            failed: r.phase === 'failed',
            lossPermille: r.intake.takeLossPermille(),
            mapStart,
            map,
          },
          r.keys.receiverKey,
        ),
      );
    }
  }

  join(): void {
    this.report(
      true,
      Array.from({ length: this.r.done.windowCount }, (_, i) => i),
    );
  }

  nackTick(): void {
    const r = this.r;
    const now = Date.now();
    // A tick this late means the process was not scheduled: the socket buffer holds DATA not
    // read yet (the loop runs timers before the rest of the I/O), so asking now would ask for
    // what is already here. Skip one tick, never two in a row (timers are late all the time on
    // a loaded machine, and NACKs must still go out).
    const late = now - this.lastNackTick > 2 * r.o.nackIntervalMs && !this.skippedNackTick;
    this.lastNackTick = now;
    this.skippedNackTick = late;
    r.intake.now = now;
    if (r.phase !== 'receiving' || late) return;
    const entries = r.planner.plan({
      done: r.done,
      reassembler: r.reassembler,
      busy: (i) => r.intake.busy(i),
      cursor: r.cursor,
      now: Date.now(),
      renackMs: r.o.renackMs,
      quietMs: r.o.quietMs,
      maxEntries: 340,
    });
    for (const chunk of chunkEntries(entries)) {
      this.send(encodeNack(r.keys.sessionId, this.identity(), chunk, r.keys.receiverKey));
      for (const e of chunk) r.stats.nacked += e.fragCount === 0xffff ? 1 : e.fragCount;
    }
  }
}
