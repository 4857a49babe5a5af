/**
 * Wake-on-LAN, FOG's way: a Wake-up task sends the magic packet to its host and completes (the
 * server runs it, no client), and every imaging task wakes its host when it is queued, so a lab
 * switched off overnight boots into its deploy without anyone pressing power buttons.
 */
import { and, asc, eq, inArray, isNull, lte, or } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import { hostMacs } from '../hosts/hosts-table.ts';
import { isImagingTaskType } from '../tasks/task-kinds.ts';
import type { TasksService } from '../tasks/tasks-service.ts';
import type { TaskRow } from '../tasks/tasks-table.ts';
import { tasks as tasksTable } from '../tasks/tasks-table.ts';
import { WakeOffError } from './wake-errors.ts';
import { createWakeSender } from './wake-sender.ts';

const HOLDER = 'server:wake-on-lan';
const LEASE_MS = 60_000;

export function createWakeService(deps: ServiceDeps, others: { tasks: TasksService }) {
  const { db, now } = deps;
  const log = deps.log.child({ service: 'wake-on-lan' });
  const sender = createWakeSender(deps.config.wake.targets);

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
      // Cancelled or already run by another path: nothing to do.
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

  const due = (t: TaskRow) => t.scheduledAt === null || t.scheduledAt <= now();

  /** Tasks just queued: Wake-up ones run; imaging ones wake their hosts when packets can go out. */
  async function queued(created: readonly TaskRow[]): Promise<void> {
    const ready = created.filter(due);
    for (const task of ready.filter((t) => t.type === 'WAKE_UP')) await runWakeUp(task);
    const imaging = ready.filter((t) => isImagingTaskType(t.type)).map((t) => t.hostId);
    if (imaging.length === 0 || deps.config.wake.targets.kind === 'off') return;
    await wakeHosts(imaging).catch((err: unknown) =>
      log.warn({ err }, 'waking the hosts of new tasks failed'),
    );
  }

  others.tasks.onQueued((created) => {
    void queued(created).catch((err: unknown) => log.error({ err }, 'wake-on-lan'));
  });

  return {
    wakeHosts,
    /** Wake-up tasks queued while the server was down (or before it listened) run now. */
    async start(): Promise<void> {
      const waiting = await db
        .select()
        .from(tasksTable)
        .where(
          and(
            eq(tasksTable.type, 'WAKE_UP'),
            eq(tasksTable.state, 'QUEUED'),
            or(isNull(tasksTable.scheduledAt), lte(tasksTable.scheduledAt, now())),
          ),
        );
      for (const task of waiting) await runWakeUp(task);
    },
    stop: () => sender.close(),
  };
}

export type WakeService = ReturnType<typeof createWakeService>;
