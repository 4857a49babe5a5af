/**
 * Rate and ETA from cumulative byte counters, smoothed so the numbers do not jump with every batch.
 * An exponentially weighted moving average whose weight depends on the time between samples, so
 * bursts of events and long gaps are weighed by the time they cover, not by their count.
 */
export interface RateSample {
  /** Cumulative bytes done. */
  readonly bytesDone: number;
  /** Clock reading in milliseconds (monotonic). */
  readonly atMs: number;
}

export interface RateSmoother {
  /** Smoothed rate in bytes per second, `null` until two samples span some time. */
  readonly rate: number | null;
  readonly last: RateSample | null;
}

/** Time constant of the average: about the last five seconds count. */
export const DEFAULT_TAU_MS = 5_000;

export const emptySmoother: RateSmoother = Object.freeze({ rate: null, last: null });

/** Folds one sample into the smoother. Pure: returns a new value. */
export function addSample(s: RateSmoother, sample: RateSample, tauMs = DEFAULT_TAU_MS): RateSmoother {
  const last = s.last;
  if (last === null || sample.bytesDone < last.bytesDone) return { rate: null, last: sample };
  const dt = sample.atMs - last.atMs;
  if (dt <= 0) return s.rate === null ? { rate: null, last } : s;
  const instant = ((sample.bytesDone - last.bytesDone) * 1000) / dt;
  if (s.rate === null) return { rate: instant, last: sample };
  const alpha = 1 - Math.exp(-dt / tauMs);
  return { rate: s.rate + alpha * (instant - s.rate), last: sample };
}

/** Seconds left at the smoothed rate, `null` while the rate is unknown or zero. */
export function etaSeconds(s: RateSmoother, bytesTotal: number): number | null {
  if (s.rate === null || s.rate <= 0 || s.last === null) return null;
  return Math.max(0, bytesTotal - s.last.bytesDone) / s.rate;
}
