/**
 * Per-task progress merged from two sources (client reports in batches, and for a capture the
 * blocks the server received and verified), published as `taskProgress` at most every
 * `publishEveryMs` per task. Each event carries cumulative counters, the block updates since the
 * previous event of that task, and the done set as ranges, so a subscriber whose buffer dropped
 * an event still sees every finished block.
 */
import { toProgress } from '../tasks/task-progress.ts';
import { DoneSet } from './done-set.ts';
import type { TransferDeps } from './transfer-deps.ts';

export interface BlockUpdate {
  readonly index: number;
  readonly state: string;
}

export interface ProgressReport {
  readonly phase?: string | null;
  readonly partition?: number | null;
  readonly blocksTotal?: number;
  readonly bytesTotal?: number;
  readonly bytesDone?: number;
  readonly events?: readonly { index: number; state: string; bytes?: number }[];
  readonly done?: readonly (readonly [number, number])[];
}

const ROW_WRITE_MS = 2000;
const MAX_RANGES_PUBLISHED = 256;

class TaskProgressState {
  blocksTotal = 0;
  bytesTotal = 0;
  bytesKnown = 0;
  bytesClient = 0;
  phase: string | null = null;
  partition: number | null = null;
  readonly done = new DoneSet();
  pending: BlockUpdate[] = [];
  lastPublish = 0;
  lastRowWrite = 0;
  lastRowPhase: string | null = null;
  timer: NodeJS.Timeout | null = null;
  rate = 0;
  rateAt = performance.now();
  rateBytes = 0;

  get bytesDone(): number {
    return Math.min(Math.max(this.bytesKnown, this.bytesClient), this.bytesTotal || Number.MAX_SAFE_INTEGER);
  }
}

export function createProgressHub(deps: TransferDeps, publishEveryMs = 100) {
  const states = new Map<string, TaskProgressState>();
  const stateOf = (taskId: string) => {
    let s = states.get(taskId);
    if (!s) {
      s = new TaskProgressState();
      states.set(taskId, s);
    }
    return s;
  };

  function counters(s: TaskProgressState) {
    return {
      blocksDone: s.done.count,
      blocksTotal: s.blocksTotal,
      bytesDone: s.bytesDone,
      bytesTotal: s.bytesTotal,
      rateBytesPerSecond: Math.round(s.rate),
      phase: s.phase,
      partition: s.partition,
    };
  }

  function updateRate(s: TaskProgressState): void {
    const t = performance.now();
    const dt = (t - s.rateAt) / 1000;
    if (dt < 0.25) return;
    const instant = Math.max(0, s.bytesDone - s.rateBytes) / dt;
    s.rate = s.rate === 0 ? instant : s.rate * 0.7 + instant * 0.3;
    s.rateAt = t;
    s.rateBytes = s.bytesDone;
  }

  async function writeRow(taskId: string, s: TaskProgressState, force: boolean): Promise<void> {
    const at = Date.now();
    if (!force && at - s.lastRowWrite < ROW_WRITE_MS && s.lastRowPhase === s.phase) return;
    s.lastRowWrite = at;
    s.lastRowPhase = s.phase;
    const c = counters(s);
    // Through the tasks service: it owns the task row (the state machine stays in one place).
    await deps.tasks
      .saveProgressCheckpoint(taskId, c)
      .catch((err: unknown) => deps.log.warn({ err, taskId }, 'progress checkpoint failed'));
  }

  function publishNow(taskId: string, s: TaskProgressState): void {
    if (s.timer) clearTimeout(s.timer);
    s.timer = null;
    s.lastPublish = Date.now();
    updateRate(s);
    const c = counters(s);
    const ranges = s.done.ranges(MAX_RANGES_PUBLISHED + 1);
    const payload = {
      ...toProgress(taskId, c),
      blocks: s.pending,
      doneRanges: ranges.length > MAX_RANGES_PUBLISHED ? null : ranges.flat(),
    };
    s.pending = [];
    deps.pubsub.publish('taskProgress', payload, taskId);
    const final = c.blocksTotal > 0 && c.blocksDone >= c.blocksTotal;
    void writeRow(taskId, s, final);
  }

  function schedule(taskId: string, s: TaskProgressState): void {
    const final = s.blocksTotal > 0 && s.done.count >= s.blocksTotal;
    const wait = publishEveryMs - (Date.now() - s.lastPublish);
    if (final || wait <= 0) publishNow(taskId, s);
    else s.timer ??= setTimeout(() => publishNow(taskId, s), wait);
  }

  function markBlock(s: TaskProgressState, index: number, state: string, bytes: number): void {
    if (state === 'failed') {
      s.pending.push({ index, state });
      return;
    }
    if (index < 0 || (s.blocksTotal > 0 && index >= s.blocksTotal)) return;
    if (s.done.add(index)) s.bytesKnown += bytes;
    s.pending.push({ index, state });
  }

  return {
    /** A client report (cumulative counters, new events, done ranges). */
    report(taskId: string, r: ProgressReport): { blocksDone: number; blocksTotal: number } {
      const s = stateOf(taskId);
      if (r.blocksTotal !== undefined) s.blocksTotal = r.blocksTotal;
      if (r.bytesTotal !== undefined) s.bytesTotal = r.bytesTotal;
      if (r.bytesDone !== undefined) s.bytesClient = Math.max(s.bytesClient, r.bytesDone);
      if (r.phase !== undefined && r.phase !== s.phase) {
        s.phase = r.phase;
        if (r.phase === 'verify') {
          // A read-back pass counts the blocks again from zero.
          s.done.clear();
          s.bytesKnown = 0;
          s.bytesClient = r.bytesDone ?? 0;
          s.rate = 0;
          s.rateBytes = 0;
        }
      }
      if (r.partition !== undefined) s.partition = r.partition;
      for (const e of r.events ?? []) markBlock(s, e.index, e.state, e.bytes ?? 0);
      if (s.blocksTotal > 0)
        for (const [a, b] of r.done ?? []) s.done.addRange(a, Math.min(b, s.blocksTotal));
      schedule(taskId, s);
      return { blocksDone: s.done.count, blocksTotal: s.blocksTotal };
    },
    /** A capture block the server received and verified. */
    blockStored(taskId: string, index: number, bytes: number): void {
      const s = stateOf(taskId);
      markBlock(s, index, 'uploaded', bytes);
      schedule(taskId, s);
    },
    /** Publishes what is pending and writes the row, then forgets the task. */
    async finish(taskId: string): Promise<void> {
      const s = states.get(taskId);
      if (!s) return;
      if (s.pending.length > 0 || s.timer) publishNow(taskId, s);
      states.delete(taskId);
      await writeRow(taskId, s, true);
    },
    counters(taskId: string) {
      const s = states.get(taskId);
      return s ? counters(s) : null;
    },
  };
}

export type ProgressHub = ReturnType<typeof createProgressHub>;
