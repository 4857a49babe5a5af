/**
 * One launched session as the runner holds it, and the multicastProgress event it publishes.
 * A shape of its own because three parts share it: the launch builds it, the sender's events
 * move it, the runner's registry hands it to ticket requests.
 */
import type { ServiceDeps } from '../../app/service-deps.ts';
import type { TasksService } from '../../tasks/tasks-service.ts';
import type { MulticastSessionRow } from '../multicast-table.ts';
import type { SessionSecrets } from '../wire/session-ticket.ts';
import type { ReceiverProgressRow, ReceiverTracker } from './receiver-tracker.ts';
import type { SenderChild } from './sender-child.ts';
import type { SessionReaper } from './session-reaper.ts';
import type { SessionSlot, SessionSlots } from './session-slots.ts';

/** The multicastProgress event: the session's state and one row per receiver. */
export interface MulticastProgressEvent {
  readonly sessionId: string;
  readonly state: MulticastSessionRow['state'];
  readonly blocksTotal: number;
  readonly rateBytesPerSecond: number;
  readonly receivers: readonly ReceiverProgressRow[];
}

declare module '../../graphql/pubsub.ts' {
  interface PubSubTopics {
    multicastProgress: MulticastProgressEvent;
  }
}

export interface Run {
  readonly session: MulticastSessionRow;
  readonly secrets: SessionSecrets;
  readonly slot: SessionSlot;
  readonly blockCount: number;
  readonly dir: string;
  readonly tracker: ReceiverTracker;
  child: SenderChild | null;
  state: MulticastSessionRow['state'];
  rate: number;
  /** Stopped by us (cancel, shutdown): its exit is not a session nobody joined. */
  stopping: boolean;
  /** Snapshot handling is serialized: rows and task moves land in the sender's order. */
  queue: Promise<void>;
}

/** The run's rows now, as multicastProgress carries them. */
export const progressEventOf = (run: Run): MulticastProgressEvent => ({
  sessionId: run.session.id,
  state: run.state,
  blocksTotal: run.blockCount,
  rateBytesPerSecond: run.rate,
  receivers: run.tracker.rows(),
});

/** What the runner's parts share: the server's deps, the slots and the runs this process holds. */
export interface RunnerContext {
  readonly deps: ServiceDeps;
  readonly tasks: TasksService;
  readonly reaper: SessionReaper;
  readonly slots: SessionSlots;
  /** Sessions whose sender this process launched and that have not ended yet. */
  readonly runs: Map<string, Run>;
}
