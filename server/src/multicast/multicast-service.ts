/**
 * The multicast domain's composition root: enrolment (sessions, their hosts and tasks), the
 * runner (senders launched by ticket requests), the reaper and its sweeps (sessions no sender
 * will end), and the reads the GraphQL layer needs. Cancel lives here because it touches all
 * three: the rows, the sender, the tasks.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import { TaskAlreadyFinalError } from '../tasks/task-errors.ts';
import type { TasksService } from '../tasks/tasks-service.ts';
import { createEnrolment } from './multicast-enrolment.ts';
import { MulticastSessionFinishedError } from './multicast-errors.ts';
import { sessionById, sessionQueries } from './multicast-session-store.ts';
import { ACTIVE_RECEIVER_STATES, OPEN_SESSION_STATES } from './multicast-states.ts';
import { type MulticastSessionRow, multicastReceivers, multicastSessions } from './multicast-table.ts';
import { progressOfRows, watchSessionProgress } from './runner/session-progress.ts';
import { createSessionReaper, startSessionSweeps } from './runner/session-reaper.ts';
import { createSessionRunner } from './runner/session-runner.ts';
import { SlotRefusals } from './runner/slot-refusals.ts';

export type { CreateSessionInput, JoinSessionInput, StartMulticastInput } from './multicast-enrolment.ts';

export function createMulticastService(deps: ServiceDeps, others: { tasks: TasksService }) {
  const { db, pubsub, now } = deps;
  // Shared: the runner records the BUSY answers, the reaper's sweep gives them as the reason.
  const refusals = new SlotRefusals();
  const reaper = createSessionReaper({ ...deps, tasks: others.tasks, refusals });
  const runner = createSessionRunner(deps, { tasks: others.tasks, reaper, refusals });
  // Sessions whose sender died with an earlier process fail now; nobody-came sessions later.
  const sweeps = startSessionSweeps(reaper, deps.log);

  return {
    ...createEnrolment(deps, others.tasks),

    /** Ends the session and cancels the tasks of its receivers that are still active. */
    async cancelMulticastSession(id: string): Promise<MulticastSessionRow> {
      const session = await db.transaction(async (tx) => {
        const found = await sessionById(tx, id);
        if (!OPEN_SESSION_STATES.includes(found.state)) throw new MulticastSessionFinishedError(found.state);
        const at = now();
        await tx
          .update(multicastSessions)
          .set({ state: 'CANCELLED', endedAt: at, updatedAt: at })
          .where(eq(multicastSessions.id, id));
        await tx
          .update(multicastReceivers)
          .set({ state: 'CANCELLED', updatedAt: at })
          .where(
            and(
              eq(multicastReceivers.sessionId, id),
              inArray(multicastReceivers.state, [...ACTIVE_RECEIVER_STATES]),
            ),
          );
        return sessionById(tx, id);
      });
      // No sender here to publish the end: subscribers get the cancelled rows and finish.
      if (!runner.stop(id)) pubsub.publish('multicastProgress', await progressOfRows(db, session), id);
      const receivers = await db
        .select()
        .from(multicastReceivers)
        .where(eq(multicastReceivers.sessionId, id));
      for (const r of receivers) {
        // A task already final stays as it is: cancellation only stops what still runs.
        if (!r.taskId) continue;
        await others.tasks.cancelTask(r.taskId, 'multicast session cancelled').catch((err: unknown) => {
          if (!(err instanceof TaskAlreadyFinalError)) throw err;
        });
      }
      return session;
    },

    /** The session ticket of a MULTICAST task (null: none); launches the session's sender. */
    ticketFor: (task: { id: string; hostId: string }) => runner.ticketFor(task),
    /** Resolves once the start-up reconcile is done: sessions a restart orphaned are failed. */
    ready: sweeps.ready,
    /** The no-receiver sweep, as the timer runs it (tests pass a later `at`). */
    sweepSessions: (at?: Date) => reaper.sweep(at),
    /** Senders this server runs now (each holds a slot). */
    get runningSenders(): number {
      return runner.running;
    },
    /** Shutdown: stops the sweep and every sender this server runs. */
    stop: () => {
      sweeps.stop();
      runner.stopAll();
    },

    /** The session's rows now, then live ones; undefined for an unknown session. */
    watchProgress: (sessionId: string) => watchSessionProgress({ db, pubsub, runner }, sessionId),

    ...sessionQueries(db),
  };
}

export type MulticastService = ReturnType<typeof createMulticastService>;
