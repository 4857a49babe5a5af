/**
 * Sends progress to the server in batches (about every 500 ms, a heartbeat every 2 s that also
 * renews the token) and learns from the answer when the task was cancelled: it then aborts the
 * work through the AbortController it was given, so the client stops within seconds.
 */
import { DoneSet } from '@brume/server/transfer/done-set.ts';
import type { ProgressSink } from '../client/agent-port.ts';
import { isTaskEnded, type TransferClient, TransferClientError } from './transfer-client.ts';

export type ReportedState = 'written' | 'skipped' | 'uploaded' | 'deduplicated' | 'verified' | 'failed';

interface Event {
  readonly index: number;
  readonly state: ReportedState;
  readonly bytes: number;
}

/** Why the work stopped when the server ended the task. */
export class TaskEndedError extends Error {
  readonly code = 'TASK_ENDED';
  readonly state: string;
  constructor(state: string, reason?: string | null) {
    super(
      state === 'CANCELLED'
        ? 'the task was cancelled'
        : `the task is ${state.toLowerCase()}${reason ? `: ${reason}` : ''}`,
    );
    this.state = state;
  }
}

const TUI_STATE = {
  written: 'written',
  uploaded: 'written',
  skipped: 'skipped',
  deduplicated: 'skipped',
  verified: 'verified',
  failed: 'failed',
} as const;

export class ProgressReporter {
  private readonly client: TransferClient;
  private readonly abort: AbortController;
  private readonly sink: ProgressSink | undefined;
  private readonly everyMs: number;
  private pending: Event[] = [];
  private done = new DoneSet();
  private blocksTotal = 0;
  private bytesTotal = 0;
  private bytesDone = 0;
  private phaseName = 'started';
  private partition: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastSent = 0;
  private sending: Promise<void> | null = null;
  private phaseChanged = false;

  constructor(
    client: TransferClient,
    abort: AbortController,
    options: { sink?: ProgressSink; everyMs?: number } = {},
  ) {
    this.client = client;
    this.abort = abort;
    this.sink = options.sink;
    this.everyMs = options.everyMs ?? 500;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }

  totals(blocksTotal: number, bytesTotal: number): void {
    this.blocksTotal = blocksTotal;
    this.bytesTotal = bytesTotal;
  }

  phase(name: string, reset = false): void {
    this.phaseName = name;
    this.phaseChanged = true;
    if (reset) {
      this.done = new DoneSet();
      this.bytesDone = 0;
    }
    if (this.sink?.phase) this.sink.phase(name);
    else this.sink?.log?.(`phase ${name}`);
  }

  block(index: number, state: ReportedState, bytes: number, partition: number | null = null): void {
    if (state !== 'failed' && this.done.add(index)) this.bytesDone += bytes;
    if (partition !== null) this.partition = partition;
    this.pending.push({ index, state, bytes });
    this.sink?.blocks?.([{ index, state: TUI_STATE[state] }]);
    this.sink?.progress(this.counters());
  }

  counters() {
    return {
      blocksDone: this.done.count,
      blocksTotal: this.blocksTotal,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      phase: this.phaseName,
      partition: this.partition,
    };
  }

  private async tick(): Promise<void> {
    if (this.sending) return;
    const due = this.pending.length > 0 || this.phaseChanged || Date.now() - this.lastSent >= 2000;
    if (due) await this.flush(false).catch(() => undefined);
  }

  /** Sends what is pending; `final` waits for an in-flight send and reports errors. */
  async flush(final = true): Promise<void> {
    while (this.sending) await this.sending;
    const events = this.pending.splice(0, 4096);
    this.phaseChanged = false;
    this.lastSent = Date.now();
    const body = {
      ...this.counters(),
      events,
      done: this.done.ranges(4096),
    };
    this.sending = this.client
      .request('/v1/task/progress', { json: body, noRetry: !final, signal: AbortSignal.timeout(30_000) })
      .then((res) => res.body?.cancel())
      .catch((error: unknown) => {
        if (isTaskEnded(error)) {
          const state = String(error.details.state ?? 'ENDED');
          this.abort.abort(new TaskEndedError(state, error.details.reason as string | null));
          return;
        }
        // A lost report is not lost progress: the next one carries the done ranges again.
        if (!final) this.pending.unshift(...events);
        if (final && error instanceof TransferClientError) throw error;
      })
      .finally(() => {
        this.sending = null;
      });
    await this.sending;
    if (this.pending.length > 0 && final) await this.flush(true);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
