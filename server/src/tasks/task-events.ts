import type { TaskRow } from './tasks-table.ts';

/**
 * IN_LINE: the task's client checked in and waits for a unicast slot, or its place in line
 * changed (the state stays QUEUED; `Task.inLine` says where it stands).
 */
export const TASK_EVENT_KINDS = ['CREATED', 'STATE_CHANGED', 'IN_LINE'] as const;
export type TaskEventKind = (typeof TASK_EVENT_KINDS)[number];

export interface TaskEvent {
  readonly kind: TaskEventKind;
  readonly task: TaskRow;
}

/** Cumulative counters: any one event tells the whole story, so dropping stale ones is safe. */
export interface TaskProgress {
  readonly taskId: string;
  readonly blocksDone: number;
  readonly blocksTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly rateBytesPerSecond: number;
  /** Null while the rate is unknown (zero). */
  readonly etaSeconds: number | null;
  readonly phase: string | null;
  readonly partition: number | null;
}

declare module '../graphql/pubsub.ts' {
  interface PubSubTopics {
    taskEvents: TaskEvent;
    taskProgress: TaskProgress;
  }
}
