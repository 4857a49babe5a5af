/**
 * Runs the multicast sessions of this server: the first receiver that asks for its ticket
 * launches the session's sender (a child process on the pinned image version, in a slot of its
 * own, `sender-launch.ts`); its snapshots drive the session, receiver and task states and its
 * exit ends the session (`sender-events.ts`). The sender itself waits for `minReceivers` joins or
 * the rest of `maxWaitSeconds` (counted from the session's creation), so "may start" is decided
 * where the joins are seen. This file keeps the registry of runs and what the API asks of it.
 */
import { eq } from 'drizzle-orm';
import type { ServiceDeps } from '../../app/service-deps.ts';
import type { TasksService } from '../../tasks/tasks-service.ts';
import { MulticastSessionFinishedError } from '../multicast-errors.ts';
import { OPEN_SESSION_STATES } from '../multicast-states.ts';
import { type MulticastSessionRow, multicastReceivers, multicastSessions } from '../multicast-table.ts';
import { issueTicket, type SessionTicket } from '../wire/session-ticket.ts';
import { createSenderEvents } from './sender-events.ts';
import { createSenderLaunch } from './sender-launch.ts';
import type { SessionReaper } from './session-reaper.ts';
import { type MulticastProgressEvent, progressEventOf, type Run, type RunnerContext } from './session-run.ts';
import { NoFreeSlotError, SessionSlots } from './session-slots.ts';
import type { SlotRefusals } from './slot-refusals.ts';

// The GraphQL layer imports the event's type from here.
export type { MulticastProgressEvent } from './session-run.ts';

export function createSessionRunner(
  deps: ServiceDeps,
  others: { tasks: TasksService; reaper: SessionReaper; refusals: SlotRefusals },
) {
  const { db } = deps;
  const { tasks, reaper, refusals } = others;
  const mc = deps.config.multicast;
  const ctx: RunnerContext = { deps, tasks, reaper, slots: new SessionSlots(mc), runs: new Map() };
  const { runs } = ctx;
  const launcher = createSenderLaunch(ctx, createSenderEvents(ctx));
  const launching = new Map<string, Promise<Run>>();

  /** The run of an open session, launched on first use; one launched elsewhere lost its sender. */
  async function runFor(session: MulticastSessionRow): Promise<Run> {
    const existing = runs.get(session.id);
    if (existing) return existing;
    let pending = launching.get(session.id);
    if (pending) return pending;
    if (session.state === 'RUNNING' || session.senderLaunchedAt !== null) {
      await launcher.lost(session);
      throw new MulticastSessionFinishedError('FAILED');
    }
    pending = launcher.launch(session).finally(() => launching.delete(session.id));
    launching.set(session.id, pending);
    return pending;
  }

  return {
    /**
     * The ticket for a MULTICAST task's receiver (null: the task is in no session). The
     * receiver id is the host's UUID bytes, so a client that restarts gets the same id back
     * and resumes with its done-map.
     */
    async ticketFor(task: { id: string; hostId: string }): Promise<SessionTicket | null> {
      const [receiver] = await db
        .select()
        .from(multicastReceivers)
        .where(eq(multicastReceivers.taskId, task.id));
      if (!receiver) return null;
      const [session] = await db
        .select()
        .from(multicastSessions)
        .where(eq(multicastSessions.id, receiver.sessionId));
      if (!session) return null;
      if (!OPEN_SESSION_STATES.includes(session.state))
        throw new MulticastSessionFinishedError(session.state);
      const run = await runFor(session).catch((err: unknown) => {
        // The client is told BUSY and retries; if it gives up, the sweep says the server was full.
        if (err instanceof NoFreeSlotError)
          refusals.record(session.id, { capacity: err.capacity, at: deps.now() });
        throw err;
      });
      refusals.forget(session.id);
      const id = Buffer.from(task.hostId.replaceAll('-', ''), 'hex');
      run.tracker.bind(id.toString('hex'), task.hostId, task.id);
      return issueTicket(
        run.secrets,
        {
          group: run.slot.group,
          dataPort: run.slot.dataPort,
          senderAddress: mc.interfaceAddress,
          controlPort: run.slot.controlPort,
          dataMac: mc.dataMac,
          blockCount: run.blockCount,
        },
        id,
      );
    },

    /** The current rows of a session this server runs (undefined when it runs none). */
    current(sessionId: string): MulticastProgressEvent | undefined {
      const run = runs.get(sessionId);
      return run ? progressEventOf(run) : undefined;
    },

    /**
     * Cancel: the sender stops (its exit then finds the session CANCELLED, leaves it so and
     * publishes the end). False when this server runs no sender for the session.
     */
    stop(sessionId: string): boolean {
      refusals.forget(sessionId);
      const halt = (run: Run) => {
        run.stopping = true;
        run.child?.stop();
      };
      const run = runs.get(sessionId);
      if (run) halt(run);
      // A sender still starting is stopped as soon as it is up (a failed launch has nothing to stop).
      else launching.get(sessionId)?.then(halt, () => undefined);
      return run !== undefined || launching.has(sessionId);
    },

    stopAll(): void {
      for (const run of runs.values()) {
        run.stopping = true;
        run.child?.stop();
      }
    },

    get running(): number {
      return runs.size;
    },
  };
}

export type SessionRunner = ReturnType<typeof createSessionRunner>;
