/**
 * Launching a session's sender: the pinned manifest, a slot, the one-time claim of the session
 * row, then the child process. Whatever fails on the way gives the slot back, and a session that
 * can never run (image gone, sender would not start, launched by an earlier process) fails here.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { and, eq, isNull } from 'drizzle-orm';
import { imageVersions } from '../../images/images-table.ts';
import { parseManifest } from '../../imaging/index.ts';
import { MulticastSessionFinishedError } from '../multicast-errors.ts';
import { OPEN_SESSION_STATES } from '../multicast-states.ts';
import { type MulticastSessionRow, multicastSessions } from '../multicast-table.ts';
import { sessionBlocks } from '../sender/engine-source.ts';
import { newSessionSecrets } from '../wire/session-ticket.ts';
import { ReceiverTracker } from './receiver-tracker.ts';
import { spawnSender } from './sender-child.ts';
import { senderConfig } from './sender-config.ts';
import type { SenderEvents } from './sender-events.ts';
import { LOST_REASONS } from './session-reaper.ts';
import type { Run, RunnerContext } from './session-run.ts';

export function createSenderLaunch(ctx: RunnerContext, events: SenderEvents) {
  const { deps, reaper, slots } = ctx;
  const { db, log, config } = deps;

  /** The pinned version's manifest; a session whose image is gone can never run: it fails. */
  async function manifestOf(session: MulticastSessionRow) {
    const [version] = session.imageVersionId
      ? await db.select().from(imageVersions).where(eq(imageVersions.id, session.imageVersionId))
      : [];
    if (!version?.manifest) {
      await reaper.failOpen(session, 'the session image is gone');
      throw new MulticastSessionFinishedError('FAILED', 'The session image is gone');
    }
    return parseManifest(JSON.stringify(version.manifest), `version ${version.number}`);
  }

  /** A session whose sender was launched but is not here: an earlier process ran it. */
  async function lost(session: MulticastSessionRow): Promise<void> {
    await reaper.failOpen(session, LOST_REASONS.session, LOST_REASONS.task);
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

  /** The run's files (manifest, sender config) and its child; the child's output is serialized. */
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
      {
        progress: (s) => serial(() => events.onProgress(run, s)),
        exit: (e) => serial(() => events.onExit(run, e)),
      },
      config.multicast.senderNetns,
    );
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
      tracker: new ReceiverTracker({ db, tasks: ctx.tasks, log, completeGraceMs: 10_000 }, session.id),
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
      await reaper.failOpen(session, reason.slice(0, 500));
      throw new MulticastSessionFinishedError('FAILED', reason);
    }
    ctx.runs.set(session.id, run);
    log.info(
      { sessionId: session.id, group: slot.group, dataPort: slot.dataPort, blocks: run.blockCount },
      'multicast sender launched',
    );
    return run;
  }

  return { launch, lost };
}
