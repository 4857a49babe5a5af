/**
 * Token bucket with AIMD: refilled by elapsed time so a ≈1 ms timer sends bursts, never a timer
 * per datagram. The rate drops multiplicatively when the worst receiver reports loss above the
 * threshold, and climbs back additively toward the cap.
 */
export interface PacerOptions {
  readonly rateCap: number;
  readonly minRate: number;
  readonly lossThresholdPermille: number;
  readonly decrease?: number;
  readonly increaseFraction?: number;
}

export class Pacer {
  rate: number;
  private tokens = 0;
  private last: number;
  private readonly o: Required<PacerOptions>;

  constructor(options: PacerOptions, now: number) {
    this.o = { decrease: 0.7, increaseFraction: 0.05, ...options };
    this.rate = options.rateCap;
    this.last = now;
  }

  /** Bursts stay short (≈8 ms of traffic) so switch buffers and tbf queues are not overrun. */
  private get burst(): number {
    return Math.max(64 * 1024, this.rate * 0.008);
  }

  refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  canSend(bytes: number): boolean {
    return this.tokens >= bytes;
  }

  spend(bytes: number): void {
    this.tokens -= bytes;
  }

  /** Milliseconds until `bytes` tokens are there. */
  waitFor(bytes: number): number {
    return Math.max(0, ((bytes - this.tokens) / this.rate) * 1000);
  }

  /** One AIMD step from the worst loss reported in the last interval. */
  adapt(worstLossPermille: number): void {
    if (worstLossPermille > this.o.lossThresholdPermille) {
      this.rate = Math.max(this.o.minRate, this.rate * this.o.decrease);
    } else {
      this.rate = Math.min(this.o.rateCap, this.rate + this.o.rateCap * this.o.increaseFraction);
    }
  }
}
