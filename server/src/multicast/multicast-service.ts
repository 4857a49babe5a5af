import { randomBytes } from 'node:crypto';
import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { Executor } from '../db/database.ts';
import { InputValidationError } from '../graphql/input-validation-error.ts';
import { onlyUuids, uniqueViolation } from '../hosts/sql-helpers.ts';
import { ImageDisabledError, ImageHasNoVersionError, ImageNotFoundError } from '../images/image-errors.ts';
import { isValidImageName } from '../images/image-name.ts';
import { lockImage, selectCurrentVersion } from '../images/image-store.ts';
import { TaskAlreadyFinalError } from '../tasks/task-errors.ts';
import { assertHostsReady, insertTasks } from '../tasks/task-queue.ts';
import type { Actor, TasksService } from '../tasks/tasks-service.ts';
import {
  DuplicateSessionNameError,
  MulticastSessionFinishedError,
  MulticastSessionNotFoundError,
} from './multicast-errors.ts';
import {
  checkJoinable,
  checkSessionName,
  checkSessionSettings,
  type SessionSettings,
} from './multicast-rules.ts';
import { OPEN_SESSION_STATES } from './multicast-states.ts';
import { type MulticastSessionRow, multicastReceivers, multicastSessions } from './multicast-table.ts';
import { progressOfRows, watchSessionProgress } from './runner/session-progress.ts';
import { createSessionReaper, startSessionSweeps } from './runner/session-reaper.ts';
import { createSessionRunner } from './runner/session-runner.ts';

export interface CreateSessionInput extends SessionSettings {
  readonly name: string;
  readonly imageId: string;
  readonly expectedReceivers?: number | null;
}

export interface JoinSessionInput {
  readonly sessionName: string;
  readonly hostId: string;
}

export interface StartMulticastInput extends SessionSettings {
  readonly hostIds: readonly string[];
  readonly imageId: string;
  readonly name?: string | null;
}

const MAX_RECEIVERS = 1000;

/** The image must be enabled and have a current version: the session pins that version. */
async function imageVersionFor(db: Executor, imageId: string) {
  const image = await lockImage(db, imageId, 'share');
  if (!image) throw new ImageNotFoundError(imageId);
  if (!image.enabled) throw new ImageDisabledError(imageId);
  const version = await selectCurrentVersion(db, imageId);
  if (!version) throw new ImageHasNoVersionError(imageId);
  return { image, version };
}

async function insertSession(db: Executor, values: typeof multicastSessions.$inferInsert) {
  const open = and(
    sql`lower(${multicastSessions.name}) = lower(${values.name})`,
    inArray(multicastSessions.state, [...OPEN_SESSION_STATES]),
  );
  const [taken] = await db.select({ id: multicastSessions.id }).from(multicastSessions).where(open);
  if (taken) throw new DuplicateSessionNameError(values.name);
  const [row] = await db.insert(multicastSessions).values(values).returning();
  return row!;
}

function rethrowUnique(err: unknown, name: string): never {
  if (uniqueViolation(err) === 'multicast_sessions_open_name_key') throw new DuplicateSessionNameError(name);
  throw err;
}

const autoName = (at: Date) =>
  `mc-${at.toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomBytes(2).toString('hex')}`;

/** The open session of that name, else the newest finished one (its state is the refusal). */
async function sessionByName(db: Executor, name: string): Promise<MulticastSessionRow> {
  const [row] = await db
    .select()
    .from(multicastSessions)
    .where(sql`lower(${multicastSessions.name}) = lower(${name})`)
    .orderBy(
      sql`case when ${multicastSessions.state} in ('WAITING', 'RUNNING') then 0 else 1 end`,
      desc(multicastSessions.createdAt),
    )
    .limit(1)
    .for('update');
  if (!row) throw new MulticastSessionNotFoundError(name);
  if (!OPEN_SESSION_STATES.includes(row.state)) throw new MulticastSessionFinishedError(row.state);
  return row;
}

export function createMulticastService(deps: ServiceDeps, others: { tasks: TasksService }) {
  const { db, pubsub, now } = deps;
  const reaper = createSessionReaper({ ...deps, tasks: others.tasks });
  const runner = createSessionRunner(deps, { tasks: others.tasks, reaper });
  // Sessions whose sender died with an earlier process fail now; nobody-came sessions later.
  const sweeps = startSessionSweeps(reaper, deps.log);

  async function mustGet(ex: Executor, id: string): Promise<MulticastSessionRow> {
    const [row] = await ex.select().from(multicastSessions).where(eq(multicastSessions.id, id));
    if (!row) throw new MulticastSessionNotFoundError(id);
    return row;
  }

  return {
    /** A session joined by name from the boot menu: no host set yet. */
    async createMulticastSession(input: CreateSessionInput, actor: Actor): Promise<MulticastSessionRow> {
      const name = checkSessionName(input.name);
      checkSessionSettings(input);
      const expected = input.expectedReceivers ?? 0;
      if (!Number.isInteger(expected) || expected < 0 || expected > MAX_RECEIVERS) {
        throw new InputValidationError([
          { path: ['input', 'expectedReceivers'], message: `0 to ${MAX_RECEIVERS}` },
        ]);
      }
      try {
        return await db.transaction(async (tx) => {
          const { image, version } = await imageVersionFor(tx, input.imageId);
          return insertSession(tx, {
            name,
            imageId: image.id,
            imageVersionId: version.id,
            expectedReceivers: expected,
            minReceivers: input.minReceivers,
            maxWaitSeconds: input.maxWaitSeconds,
            rateLimitBytesPerSecond: input.rateLimitBytesPerSecond ?? null,
            createdById: actor.userId,
          });
        });
      } catch (err) {
        rethrowUnique(err, name);
      }
    },

    /** The session, one receiver row and one MULTICAST task per host: all or nothing. */
    async startMulticast(input: StartMulticastInput, actor: Actor) {
      const hostIds = [...new Set(input.hostIds)];
      if (hostIds.length === 0 || hostIds.length > MAX_RECEIVERS) {
        throw new InputValidationError([
          { path: ['input', 'hostIds'], message: `1 to ${MAX_RECEIVERS} hosts` },
        ]);
      }
      checkSessionSettings(input, hostIds.length);
      const name = checkSessionName(input.name ?? autoName(now()));
      try {
        const result = await db.transaction(async (tx) => {
          const { image, version } = await imageVersionFor(tx, input.imageId);
          const session = await insertSession(tx, {
            name,
            imageId: image.id,
            imageVersionId: version.id,
            expectedReceivers: hostIds.length,
            minReceivers: input.minReceivers,
            maxWaitSeconds: input.maxWaitSeconds,
            rateLimitBytesPerSecond: input.rateLimitBytesPerSecond ?? null,
            createdById: actor.userId,
          });
          await assertHostsReady(tx, hostIds);
          const specs = hostIds.map((hostId) => ({
            type: 'MULTICAST' as const,
            hostId,
            imageId: image.id,
            imageVersionId: version.id,
            createdById: actor.userId,
          }));
          const created = await insertTasks(tx, specs, now());
          await tx
            .insert(multicastReceivers)
            .values(created.map((task) => ({ sessionId: session.id, hostId: task.hostId, taskId: task.id })));
          return { session, tasks: created };
        });
        for (const task of result.tasks) pubsub.publish('taskEvents', { kind: 'CREATED', task });
        return result;
      } catch (err) {
        rethrowUnique(err, name);
      }
    },

    /**
     * FOG's "Join Multicast Session": the host's MULTICAST task in the open session of that name
     * (case-insensitive). A host that was a receiver before (its task failed or was cancelled)
     * gets its receiver row back with the new task.
     */
    async joinMulticastSession(input: JoinSessionInput, actor: Actor) {
      if (!isValidImageName(input.sessionName)) throw new MulticastSessionNotFoundError(input.sessionName);
      const result = await db.transaction(async (tx) => {
        const session = await sessionByName(tx, input.sessionName);
        await assertHostsReady(tx, [input.hostId]);
        checkJoinable(session, now(), deps.config.multicast.lateJoinMs);
        const at = now();
        const [task] = await insertTasks(
          tx,
          [
            {
              type: 'MULTICAST',
              hostId: input.hostId,
              imageId: session.imageId,
              imageVersionId: session.imageVersionId,
              createdById: actor.userId,
            },
          ],
          at,
        );
        await tx
          .insert(multicastReceivers)
          .values({ sessionId: session.id, hostId: input.hostId, taskId: task!.id })
          .onConflictDoUpdate({
            target: [multicastReceivers.sessionId, multicastReceivers.hostId],
            set: {
              taskId: task!.id,
              state: 'EXPECTED',
              blocksDone: 0,
              bytesDone: 0,
              joinedAt: null,
              updatedAt: at,
            },
          });
        return { session, task: task! };
      });
      pubsub.publish('taskEvents', { kind: 'CREATED', task: result.task });
      return result;
    },

    /** Ends the session and cancels the tasks of its receivers that are still active. */
    async cancelMulticastSession(id: string): Promise<MulticastSessionRow> {
      const session = await db.transaction(async (tx) => {
        const found = await mustGet(tx, id);
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
              inArray(multicastReceivers.state, ['EXPECTED', 'JOINED', 'RECEIVING']),
            ),
          );
        return mustGet(tx, id);
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

    getSession: async (id: string) =>
      (await db.select().from(multicastSessions).where(eq(multicastSessions.id, id)))[0],
    getSessions: (ids: readonly string[]) =>
      onlyUuids(ids).length === 0
        ? Promise.resolve([])
        : db
            .select()
            .from(multicastSessions)
            .where(inArray(multicastSessions.id, onlyUuids(ids))),
    countSessions: async () => (await db.select({ n: count() }).from(multicastSessions))[0]?.n ?? 0,
    listSessions: (window: { offset: number; limit: number }) =>
      db
        .select()
        .from(multicastSessions)
        .orderBy(desc(multicastSessions.createdAt), asc(multicastSessions.id))
        .offset(window.offset)
        .limit(window.limit),
    receiversOf: (sessionId: string) =>
      db
        .select()
        .from(multicastReceivers)
        .where(eq(multicastReceivers.sessionId, sessionId))
        .orderBy(asc(multicastReceivers.hostId)),
  };
}

export type MulticastService = ReturnType<typeof createMulticastService>;
