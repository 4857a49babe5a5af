/**
 * Progress as an injected sink: the engine computes cumulative counters and per-block events and
 * never prints. Consumers (CLI, server, multicast) throttle and render as they like.
 */
export type Phase = 'survey' | 'tables' | 'blocks' | 'verify' | 'publish' | 'done';

export type BlockState = 'skipped' | 'written' | 'verified' | 'uploaded' | 'deduplicated' | 'failed';

export interface ProgressCounters {
  readonly phase: Phase;
  /** Partition number of the last block handled, null outside partitions. */
  readonly partition: number | null;
  readonly blocksDone: number;
  readonly blocksTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface BlockEvent {
  /** Index in the manifest's (or plan's) block list. */
  readonly index: number;
  readonly offset: number;
  readonly state: BlockState;
  readonly hash?: string;
  readonly error?: string;
}

export interface ProgressSink {
  progress?(counters: ProgressCounters): void;
  block?(event: BlockEvent): void;
}

/** Mutable counters with the sink attached; one per operation. */
export class ProgressTracker {
  private readonly sink: ProgressSink;
  private state: ProgressCounters;

  constructor(sink: ProgressSink | undefined, blocksTotal: number, bytesTotal: number) {
    this.sink = sink ?? {};
    this.state = { phase: 'survey', partition: null, blocksDone: 0, blocksTotal, bytesDone: 0, bytesTotal };
  }

  get counters(): ProgressCounters {
    return this.state;
  }

  phase(phase: Phase, totals?: { blocksTotal: number; bytesTotal: number }): void {
    this.state = { ...this.state, phase, ...(totals ?? {}) };
    if (totals) this.state = { ...this.state, blocksDone: 0, bytesDone: 0 };
    this.sink.progress?.(this.state);
  }

  blockDone(event: BlockEvent, bytes: number, partition: number | null): void {
    this.sink.block?.(event);
    this.state = {
      ...this.state,
      partition,
      blocksDone: this.state.blocksDone + 1,
      bytesDone: this.state.bytesDone + bytes,
    };
    this.sink.progress?.(this.state);
  }

  blockFailed(event: BlockEvent): void {
    this.sink.block?.(event);
  }
}
