/**
 * Wake-on-LAN and the task scheduler, FOG's way. A Wake-up task sends the magic packet to its host
 * and completes (the server runs it, no client); every imaging task wakes its host once, when it is
 * due: at once when queued, or at its `scheduledAt`. A lab switched off overnight then boots into
 * the deploy scheduled for 2 a.m. without anyone pressing power buttons.
 *
 * Due work is found in the database, not in memory (`woken_at` marks a task whose host was woken),
 * so a restart neither loses nor repeats it. A timer aims at the next scheduled task, and a
 * minute's tick (FOG's scheduler interval) catches anything else.
 */
import { and, asc, eq, gt, inArray, isNull, min } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import { hostMacs } from '../hosts/hosts-table.ts';
import { createDueLoop } from '../tasks/due-loop.ts';
import { isImagingTaskType, TASK_TYPES } from '../tasks/task-kinds.ts';
import { dueBy } from '../tasks/task-store.ts';
import type { TasksService } from '../tasks/tasks-service.ts';
import { type TaskRow, tasks } from '../tasks/tasks-table.ts';
import { WakeOffError } from './wake-errors.ts';
import { createWakeSender } from './wake-sender.ts';

const HOLDER = 'server:wake-on-lan';
const LEASE_MS = 60_000;
const IMAGING_TYPES = TASK_TYPES.filter(isImagingTaskType);

export function createWakeService(deps: ServiceDeps, others: { tasks: TasksService }) {
  const { db, now } = deps;
  const log = deps.log.child({ service: 'wake-on-lan' });
  const sender = createWakeSender(deps.config.wake.targets);
  const due = () => dueBy(now());

  async function macsOf(hostIds: readonly string[]): Promise<string[]> {
    if (hostIds.length === 0) return [];
    const rows = await db
      .select({ mac: hostMacs.mac })
      .from(hostMacs)
      .where(inArray(hostMacs.hostId, [...hostIds]))
      .orderBy(asc(hostMacs.hostId), asc(hostMacs.position));
    return rows.map((r) => r.mac);
  }

  /** Every MAC of every host (a machine may wake on any of its NICs). */
  async function wakeHosts(hostIds: readonly string[]) {
    const macs = await macsOf(hostIds);
    const sent = await sender.send(macs);
    log.info({ hosts: hostIds.length, packets: sent.packets, targets: sent.targets }, 'magic packets sent');
    return { macs: macs.length, ...sent };
  }

  /** QUEUED → CHECKED_IN → IN_PROGRESS → COMPLETE, or FAILED with the reason nothing was sent. */
  async function runWakeUp(task: TaskRow): Promise<void> {
    const lease = { holder: HOLDER, expiresAt: new Date(now().getTime() + LEASE_MS) };
    try {
      await others.tasks.transition(task.id, 'CHECKED_IN', { lease });
      await others.tasks.transition(task.id, 'IN_PROGRESS', { lease });
    } catch (err) {
      // Cancelled meanwhile: nothing to do.
      log.debug({ err, taskId: task.id }, 'wake-up task not started');
      return;
    }
    try {
      const sent = await wakeHosts([task.hostId]);
      if (sent.macs === 0) throw new WakeOffError('the host has no MAC address');
      await others.tasks.transition(task.id, 'COMPLETE');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      await others.tasks.transition(task.id, 'FAILED', { reason }).catch(() => undefined);
    }
  }

  /** Runs the due Wake-up tasks and wakes the hosts of due imaging tasks not woken yet. */
  async function wakeDue(): Promise<void> {
    const wakeUps = await db
      .select()
      .from(tasks)
      .where(and(eq(tasks.type, 'WAKE_UP'), eq(tasks.state, 'QUEUED'), due()));
    for (const task of wakeUps) await runWakeUp(task);
    if (deps.config.wake.targets.kind === 'off') return;
    // Marked first: a send that fails is logged, not repeated every tick.
    const woken = await db
      .update(tasks)
      .set({ wokenAt: now() })
      .where(and(inArray(tasks.type, IMAGING_TYPES), eq(tasks.state, 'QUEUED'), isNull(tasks.wokenAt), due()))
      .returning({ hostId: tasks.hostId });
    if (woken.length === 0) return;
    await wakeHosts([...new Set(woken.map((w) => w.hostId))]).catch((err: unknown) =>
      log.warn({ err }, 'waking the hosts of due tasks failed'),
    );
  }

  const loop = createDueLoop({
    run: wakeDue,
    nextDue: async () => {
      const [next] = await db
        .select({ at: min(tasks.scheduledAt) })
        .from(tasks)
        .where(and(eq(tasks.state, 'QUEUED'), gt(tasks.scheduledAt, now())));
      return next?.at ?? null;
    },
    now,
    log,
    what: 'wake-on-lan',
  });

  others.tasks.onQueued(() => void loop.pass());

  return {
    wakeHosts,
    /** Wake-up tasks queued while the server was down, and tasks that fell due meanwhile, go now. */
    start: loop.pass,
    stop() {
      loop.stop();
      sender.close();
    },
  };
}

export type WakeService = ReturnType<typeof createWakeService>;
