/**
 * The paced DATA loop: on a ≈1 ms timer it sends bursts of datagrams (repairs first, then the
 * main pass) while the token bucket and the socket's send queue allow, never a timer per datagram.
 */
import type { Socket } from 'node:dgram';
import { DATA_BODY_FIXED_BYTES, HEADER_BYTES, MAC_BYTES, wireBytes } from '../wire/constants.ts';
import type { Emitter } from './emitter.ts';
import type { Pacer } from './pacer.ts';

/** Datagrams the kernel may hold for the data socket before the loop waits a tick. */
const MAX_SEND_QUEUE = 256;

export interface SendStats {
  bytesSent: number;
  repairBytesSent: number;
  datagramsSent: number;
}

export class SendLoop {
  private timer: NodeJS.Timeout | null = null;
  /** Wire bytes of a full DATA datagram: the pacer waits until that many tokens are there. */
  private readonly fullDatagram: number;
  private readonly socket: Socket;
  private readonly emitter: Emitter;
  private readonly pacer: Pacer;
  private readonly stats: SendStats;
  /** True while the session is running and not ending. */
  private readonly mayRun: () => boolean;

  constructor(
    parts: { socket: Socket; emitter: Emitter; pacer: Pacer },
    shape: { fragmentSize: number; dataMac: boolean },
    stats: SendStats,
    mayRun: () => boolean,
  ) {
    this.socket = parts.socket;
    this.emitter = parts.emitter;
    this.pacer = parts.pacer;
    this.stats = stats;
    this.mayRun = mayRun;
    const overhead = HEADER_BYTES + DATA_BODY_FIXED_BYTES + (shape.dataMac ? MAC_BYTES : 0);
    this.fullDatagram = wireBytes(shape.fragmentSize + overhead);
  }

  schedule(ms: number): void {
    if (this.timer || !this.mayRun()) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, ms);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private pump(): void {
    if (!this.mayRun()) return;
    this.pacer.refill(Date.now());
    for (;;) {
      if (this.socket.getSendQueueCount() > MAX_SEND_QUEUE) {
        this.schedule(1);
        return;
      }
      if (!this.pacer.canSend(this.fullDatagram)) {
        this.schedule(Math.max(1, this.pacer.waitFor(this.fullDatagram)));
        return;
      }
      const d = this.emitter.next();
      if (d === 'idle' || d === 'loading') return;
      // No callback: Node then tries a synchronous send (uv_udp_try_send) and allocates no request;
      // errors still reach the socket's 'error' listener (counted in sendErrors).
      this.socket.send(d.parts);
      this.pacer.spend(wireBytes(d.bytes));
      this.stats.bytesSent += d.bytes;
      this.stats.datagramsSent++;
      if (d.repair) this.stats.repairBytesSent += d.bytes;
    }
  }
}
