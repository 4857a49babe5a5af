/**
 * Runs the multicast sessions of this server: the first receiver that asks for its ticket
 * launches the session's sender (a child process on the pinned image version, in a slot of its
 * own); its snapshots drive the session, receiver and task states; its exit ends the session.
 * The sender itself waits for `minReceivers` joins or the rest of `maxWaitSeconds` (counted from
 * the session's creation), so "may start" is decided where the joins are seen.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { ServiceDeps } from '../../app/service-deps.ts';
import { imageVersions } from '../../images/images-table.ts';
import { parseManifest } from '../../imaging/index.ts';
import type { TasksService } from '../../tasks/tasks-service.ts';
import { MulticastSessionFinishedError } from '../multicast-errors.ts';
import { noReceiverReason } from '../multicast-rules.ts';
import { OPEN_SESSION_STATES } from '../multicast-states.ts';
import { type MulticastSessionRow, multicastReceivers, multicastSessions } from '../multicast-table.ts';
import { sessionBlocks } from '../sender/engine-source.ts';
import type { SenderSnapshot } from '../sender/ports.ts';
import {
  issueTicket,
  newSessionSecrets,
  type SessionSecrets,
  type SessionTicket,
} from '../wire/session-ticket.ts';
import { type ReceiverProgressRow, ReceiverTracker } from './receiver-tracker.ts';
import { type SenderChild, type SenderExit, spawnSender } from './sender-child.ts';
import { senderConfig } from './sender-config.ts';
import { LOST_REASONS, type SessionReaper } from './session-reaper.ts';
import { type SessionSlot, SessionSlots } from './session-slots.ts';

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

interface Run {
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

export function createSessionRunner(
  deps: ServiceDeps,
  others: { tasks: TasksService; reaper: SessionReaper },
) {
  const { db, log, pubsub, config } = deps;
  const mc = config.multicast;
  const slots = new SessionSlots(mc);
  const runs = new Map<string, Run>();
  const launching = new Map<string, Promise<Run>>();

  const publish = (run: Run) =>
    pubsub.publish(
      'multicastProgress',
      {
        sessionId: run.session.id,
        state: run.state,
        blocksTotal: run.blockCount,
        rateBytesPerSecond: run.rate,
        receivers: run.tracker.rows(),
      },
      run.session.id,
    );

  async function setSession(id: string, values: Partial<typeof multicastSessions.$inferInsert>) {
    await db
      .update(multicastSessions)
      .set({ ...values, updatedAt: deps.now() })
      .where(and(eq(multicastSessions.id, id), inArray(multicastSessions.state, [...OPEN_SESSION_STATES])));
  }

  /**
   * The sender process prints at most one snapshot per 500 ms, so a short session's "running"
   * one may never arrive: a later phase (or the report's running time) says it started too.
   */
  async function markStarted(run: Run, phase: SenderSnapshot['phase'], runningMs = 0): Promise<void> {
    if (run.state !== 'WAITING' || (phase !== 'running' && phase !== 'complete' && runningMs <= 0)) return;
    run.state = 'RUNNING';
    const startedAt = new Date(deps.now().getTime() - runningMs);
    await setSession(run.session.id, { state: 'RUNNING', startedAt });
  }

  async function onProgress(run: Run, s: SenderSnapshot, runningMs = 0): Promise<void> {
    // The pacer's rate is fractional; the API's ByteCount is a whole number of bytes.
    run.rate = Math.round(s.rateBytesPerSecond);
    await markStarted(run, s.phase, runningMs);
    await run.tracker.apply(s.receivers, Date.now());
    publish(run);
  }

  /** Why the session ended, in the API's words when nobody ever joined. */
  function exitReason(run: Run, exit: SenderExit): string {
    if (exit.kind === 'died') return exit.reason;
    const nobody = exit.report.receivers.length === 0 && run.state === 'WAITING' && !run.stopping;
    if (nobody && exit.report.phase === 'failed') {
      const waited = Math.round((deps.now().getTime() - run.session.createdAt.getTime()) / 1000);
      const reason = noReceiverReason(Math.max(waited, run.session.maxWaitSeconds));
      // Hosts asked for tickets, yet no JOIN reached the sender: the imaging network's fault.
      const asked = run.tracker.ticketCount;
      return `${reason} (${asked} ${asked === 1 ? 'host' : 'hosts'} got a ticket but no JOIN reached the sender: check multicast on the imaging network)`;
    }
    return exit.report.failReason ?? 'the multicast session ended';
  }

  async function onExit(run: Run, exit: SenderExit): Promise<void> {
    if (exit.kind === 'report') await onProgress(run, exit.report, exit.report.runningMs);
    const complete = exit.kind === 'report' && exit.report.phase === 'complete' && exit.code === 0;
    const reason = exitReason(run, exit);
    const [row] = await db.select().from(multicastSessions).where(eq(multicastSessions.id, run.session.id));
    const open = row && OPEN_SESSION_STATES.includes(row.state);
    if (open) {
      run.state = complete ? 'COMPLETE' : 'FAILED';
      await setSession(run.session.id, {
        state: run.state,
        endedAt: deps.now(),
        failureReason: complete ? null : reason.slice(0, 500),
      });
      await run.tracker.finish(complete ? 'the session ended before this receiver finished' : reason);
    } else if (row) run.state = row.state;
    log.info({ sessionId: run.session.id, state: run.state, reason }, 'multicast session ended');
    publish(run);
    runs.delete(run.session.id);
    slots.release(run.slot);
    await rm(run.dir, { recursive: true, force: true });
  }

  /** The pinned version's manifest; a session whose image is gone can never run: it fails. */
  async function manifestOf(session: MulticastSessionRow) {
    const [version] = session.imageVersionId
      ? await db.select().from(imageVersions).where(eq(imageVersions.id, session.imageVersionId))
      : [];
    if (!version?.manifest) {
      await others.reaper.failOpen(session, 'the session image is gone');
      throw new MulticastSessionFinishedError('FAILED', 'The session image is gone');
    }
    return parseManifest(JSON.stringify(version.manifest), `version ${version.number}`);
  }

  /**
   * Records the launch, once: from then on a session without its sender here lost it. Refused
   * when the no-receiver sweep (or a cancel) ended the session first.
   */
  async function claim(session: MulticastSessionRow): Promise<void> {
    const at = deps.now();
    const claimed = await db
      .update(multicastSessions)
      .set({ senderLaunchedAt: at, updatedAt: at })
      .where(
        and(
          eq(multicastSessions.id, session.id),
          eq(multicastSessions.state, 'WAITING'),
          isNull(multicastSessions.senderLaunchedAt),
        ),
      )
      .returning({ id: multicastSessions.id });
    if (claimed.length === 1) return;
    const [now] = await db.select().from(multicastSessions).where(eq(multicastSessions.id, session.id));
    if (now && OPEN_SESSION_STATES.includes(now.state)) await lost(now);
    throw new MulticastSessionFinishedError(now?.state ?? 'FAILED');
  }

  async function launch(session: MulticastSessionRow): Promise<Run> {
    const manifest = await manifestOf(session);
    const slot = slots.take();
    const run: Run = {
      session,
      secrets: newSessionSecrets(),
      slot,
      blockCount: sessionBlocks(manifest).length,
      dir: join(config.core.dataDir, 'multicast', session.id),
      tracker: new ReceiverTracker({ db, tasks: others.tasks, log, completeGraceMs: 10_000 }, session.id),
      child: null,
      state: 'WAITING',
      rate: 0,
      stopping: false,
      queue: Promise.resolve(),
    };
    try {
      await claim(session);
    } catch (err) {
      slots.release(slot);
      throw err;
    }
    try {
      await spawnRun(run, manifest);
    } catch (err) {
      slots.release(slot);
      await rm(run.dir, { recursive: true, force: true });
      const reason = `the sender did not start: ${err instanceof Error ? err.message : String(err)}`;
      await others.reaper.failOpen(session, reason.slice(0, 500));
      throw new MulticastSessionFinishedError('FAILED', reason);
    }
    runs.set(session.id, run);
    log.info(
      { sessionId: session.id, group: slot.group, dataPort: slot.dataPort, blocks: run.blockCount },
      'multicast sender launched',
    );
    return run;
  }

  async function spawnRun(run: Run, manifest: ReturnType<typeof parseManifest>): Promise<void> {
    const sessionId = run.session.id;
    await mkdir(run.dir, { recursive: true, mode: 0o700 });
    await writeFile(join(run.dir, 'blocks.json'), JSON.stringify(manifest), { mode: 0o600 });
    const configFile = join(run.dir, 'sender.json');
    await writeFile(configFile, JSON.stringify(senderConfig(run, config, deps.now())), { mode: 0o600 });
    const serial = (f: () => Promise<void>) => {
      run.queue = run.queue
        .then(f)
        .catch((err: unknown) => log.error({ err, sessionId }, 'multicast session update failed'));
    };
    run.child = spawnSender(
      configFile,
      { progress: (s) => serial(() => onProgress(run, s)), exit: (e) => serial(() => onExit(run, e)) },
      mc.senderNetns,
    );
  }

  /** A session whose sender was launched but is not here: an earlier process ran it. */
  async function lost(session: MulticastSessionRow): Promise<void> {
    await others.reaper.failOpen(session, LOST_REASONS.session, LOST_REASONS.task);
  }

  /** The run of an open session, launched on first use; one launched elsewhere lost its sender. */
  async function runFor(session: MulticastSessionRow): Promise<Run> {
    const existing = runs.get(session.id);
    if (existing) return existing;
    let pending = launching.get(session.id);
    if (pending) return pending;
    if (session.state === 'RUNNING' || session.senderLaunchedAt !== null) {
      await lost(session);
      throw new MulticastSessionFinishedError('FAILED');
    }
    pending = launch(session).finally(() => launching.delete(session.id));
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
      const run = await runFor(session);
      const id = Buffer.from(task.hostId.replaceAll('-', ''), 'hex');
      run.tracker.bind(id.toString('hex'), task.hostId, task.id);
      return issueTicket(
        run.secrets,
        {
          group: run.slot.group,
          dataPort: run.slot.dataPort,
          senderAddress: mc.interfaceAddress,
          controlPort: run.slot.controlPort,
          dataMac: true,
          blockCount: run.blockCount,
        },
        id,
      );
    },

    /** The current rows of a session this server runs (undefined when it runs none). */
    current(sessionId: string): MulticastProgressEvent | undefined {
      const run = runs.get(sessionId);
      if (!run) return undefined;
      return {
        sessionId,
        state: run.state,
        blocksTotal: run.blockCount,
        rateBytesPerSecond: run.rate,
        receivers: run.tracker.rows(),
      };
    },

    /**
     * Cancel: the sender stops (its exit then finds the session CANCELLED, leaves it so and
     * publishes the end). False when this server runs no sender for the session.
     */
    stop(sessionId: string): boolean {
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
