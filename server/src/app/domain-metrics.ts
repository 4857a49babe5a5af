/**
 * What a sysadmin's Prometheus watches beside the HTTP figures: tasks by state and type, hosts
 * online, the unicast slots, multicast sessions, and the image store's filesystem (the alert that
 * matters on a 100 GB /images). Read from the database and statfs at scrape time: cheap queries,
 * no walk of the chunk directory.
 */
import { count, inArray } from 'drizzle-orm';
import { Gauge, type Registry } from 'prom-client';
import type { Database } from '../db/database.ts';
import { hosts } from '../hosts/hosts-table.ts';
import { images, imageVersions } from '../images/images-table.ts';
import { multicastSessions } from '../multicast/multicast-table.ts';
import { filesystemOf } from '../storage/store-stats.ts';
import { ACTIVE_TASK_STATES } from '../tasks/task-state-machine.ts';
import { tasks } from '../tasks/tasks-table.ts';
import type { UnicastSlots } from '../transfer/unicast-slots.ts';

export function registerDomainMetrics(
  registry: Registry,
  deps: { db: Database; imagesDir: string; slots: Pick<UnicastSlots, 'busy' | 'limit'> },
): void {
  const { db } = deps;
  new Gauge({
    name: 'brume_tasks',
    help: 'Active tasks (queued, checked in, in progress) by state and type.',
    labelNames: ['state', 'type'] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .select({ state: tasks.state, type: tasks.type, n: count() })
        .from(tasks)
        .where(inArray(tasks.state, [...ACTIVE_TASK_STATES]))
        .groupBy(tasks.state, tasks.type);
      this.reset();
      for (const r of rows) this.set({ state: r.state, type: r.type }, r.n);
    },
  });
  new Gauge({
    name: 'brume_hosts',
    help: 'Hosts by state: online (heard from lately), offline, pending approval.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .select({ pending: hosts.pending, online: hosts.online, n: count() })
        .from(hosts)
        .groupBy(hosts.pending, hosts.online);
      const by = { online: 0, offline: 0, pending: 0 };
      for (const r of rows) by[r.pending ? 'pending' : r.online ? 'online' : 'offline'] += r.n;
      for (const [state, n] of Object.entries(by)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'brume_unicast_slots',
    help: 'Unicast deploy and capture slots: busy, and how many there are (FOG max clients).',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      this.set({ kind: 'busy' }, await deps.slots.busy());
      this.set({ kind: 'total' }, await deps.slots.limit());
    },
  });
  new Gauge({
    name: 'brume_multicast_sessions',
    help: 'Multicast sessions by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .select({ state: multicastSessions.state, n: count() })
        .from(multicastSessions)
        .groupBy(multicastSessions.state);
      this.reset();
      for (const r of rows) this.set({ state: r.state }, r.n);
    },
  });
  new Gauge({
    name: 'brume_images',
    help: 'Images, and their stored versions.',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const [[imageRows], [versionRows]] = await Promise.all([
        db.select({ n: count() }).from(images),
        db.select({ n: count() }).from(imageVersions),
      ]);
      this.set({ kind: 'images' }, imageRows?.n ?? 0);
      this.set({ kind: 'versions' }, versionRows?.n ?? 0);
    },
  });
  new Gauge({
    name: 'brume_store_filesystem_bytes',
    help: "The image store's filesystem: used, free (for Brume) and total bytes.",
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const fs = await filesystemOf(deps.imagesDir);
      this.set({ kind: 'used' }, fs.used);
      this.set({ kind: 'free' }, fs.free);
      this.set({ kind: 'total' }, fs.total);
    },
  });
}
