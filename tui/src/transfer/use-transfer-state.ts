/**
 * The transfer screen's state: the server's cumulative counters (or the local agent's), a rate
 * smoother for when the source gives no rate, elapsed time, the outcome, and the block map.
 * Pure reducer; the clock comes in with the actions.
 */
import {
  type BlockMapAction,
  type BlockMapState,
  blockMapReducer,
  initialBlockMap,
} from '../block-map/use-block-map-state.ts';
import { addSample, emptySmoother, etaSeconds, type RateSmoother } from '../ui/rate-smoother.ts';

/** Cumulative counters, as `taskProgress` carries them. */
export interface ProgressCounters {
  readonly blocksDone: number;
  readonly blocksTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly rateBytesPerSecond?: number | null;
  readonly etaSeconds?: number | null;
  readonly phase?: string | null;
  readonly partition?: string | number | null;
}

export type TransferOutcome = 'running' | 'complete' | 'failed' | 'cancelled';

export interface TransferState {
  /** What is moving, e.g. `Deploy win11 → /dev/sda`. */
  readonly title: string;
  readonly counters: ProgressCounters;
  readonly smoother: RateSmoother;
  readonly startedAtMs: number | null;
  readonly nowMs: number;
  readonly outcome: TransferOutcome;
  /** Failure reason or final note. */
  readonly message: string | null;
  readonly map: BlockMapState;
}

export type TransferAction =
  | { type: 'progress'; counters: ProgressCounters; atMs: number }
  | { type: 'map'; action: BlockMapAction }
  | { type: 'tick'; atMs: number }
  /** A line from the agent while it runs (waiting in line for a slot, a phase), shown under the bar. */
  | { type: 'notice'; message: string }
  | { type: 'finished'; outcome: Exclude<TransferOutcome, 'running'>; message?: string | null; atMs: number };

export function initialTransfer(title: string, nowMs = 0): TransferState {
  return {
    title,
    counters: { blocksDone: 0, blocksTotal: 0, bytesDone: 0, bytesTotal: 0 },
    smoother: emptySmoother,
    startedAtMs: null,
    nowMs,
    outcome: 'running',
    message: null,
    map: initialBlockMap(0),
  };
}

export function transferReducer(s: TransferState, a: TransferAction): TransferState {
  switch (a.type) {
    case 'progress':
      return {
        ...s,
        counters: a.counters,
        smoother: addSample(s.smoother, { bytesDone: a.counters.bytesDone, atMs: a.atMs }),
        startedAtMs: s.startedAtMs ?? a.atMs,
        nowMs: Math.max(s.nowMs, a.atMs),
        map: blockMapReducer(s.map, {
          type: 'counters',
          blocksDone: a.counters.blocksDone,
          blocksTotal: a.counters.blocksTotal,
        }),
      };
    case 'map':
      return { ...s, map: blockMapReducer(s.map, a.action) };
    case 'tick':
      return a.atMs > s.nowMs ? { ...s, nowMs: a.atMs } : s;
    case 'notice':
      return s.outcome === 'running' ? { ...s, message: a.message } : s;
    case 'finished':
      return { ...s, outcome: a.outcome, message: a.message ?? null, nowMs: Math.max(s.nowMs, a.atMs) };
  }
}

/** Rate to show: the source's own when it gives one, else ours. */
export function displayRate(s: TransferState): number | null {
  return s.counters.rateBytesPerSecond ?? s.smoother.rate;
}

/** ETA to show: the source's own when it gives one, else from our smoothed rate. */
export function displayEta(s: TransferState): number | null {
  if (s.outcome !== 'running') return 0;
  return s.counters.etaSeconds ?? etaSeconds(s.smoother, s.counters.bytesTotal);
}

/** Seconds since the first progress event (frozen once finished by the last tick). */
export function elapsedSeconds(s: TransferState): number | null {
  return s.startedAtMs === null ? null : Math.max(0, (s.nowMs - s.startedAtMs) / 1000);
}
