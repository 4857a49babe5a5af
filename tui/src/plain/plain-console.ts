/**
 * The console without a terminal (`brume console | less`, cron, CI): hosts, images, tasks, schedules
 * and (for an ADMIN) webhooks as plain lines, then with `--follow` one line per host or task event until interrupted.
 */
import { deliveryText, nextRunText, waitingText, webhookEventsText } from '../console/console-model.ts';
import type { ConsolePort } from '../console/console-port.ts';
import { formatBytes, formatPercent } from '../ui/format.ts';
import { sanitizeText } from '../ui/sanitize.ts';

type Out = { write(s: string): unknown };

export async function printConsoleSnapshot(port: ConsolePort, out: Out, follow: boolean): Promise<number> {
  const [{ hosts, totalCount }, images, tasks, store, schedules, replication, webhooks] = await Promise.all([
    port.loadHosts(),
    port.loadImages(),
    port.loadTasks(),
    port.loadStore(),
    port.loadSchedules(),
    port.loadReplication(),
    port.loadWebhooks(),
  ]);
  const line = (s: string) => out.write(`${sanitizeText(s)}\n`);
  line(`hosts ${totalCount}`);
  for (const h of hosts)
    line(
      `host ${h.name} ${h.macs.join(',')} ${h.pending ? 'pending' : 'approved'}${h.lastAddress ? ` ${h.lastAddress}` : ''}`,
    );
  line(`images ${images.length}`);
  for (const i of images) {
    const cur = i.versions.find((v) => v.current);
    line(
      `image ${i.name} ${i.osType} versions=${i.versions.length} current=${formatBytes(cur?.sizeBytes)}${i.protected ? ' protected' : ''}`,
    );
  }
  if (store) {
    line(
      `store used=${formatBytes(store.usedBytes)} free=${formatBytes(store.freeBytes)} chunks=${store.chunkCount ?? '-'} dedup-saved=${formatBytes(store.dedupSavedBytes)}`,
    );
  }
  for (const n of replication ?? []) {
    line(
      `replica ${n.name} ok=${n.done} sending=${n.replicating} failed=${n.failed}${n.lastError ? ` ${n.lastError}` : ''}`,
    );
  }
  line(`tasks ${tasks.length}`);
  for (const t of tasks) {
    const c = t.counters;
    line(
      `task ${t.type} ${t.hostName ?? '-'} ${t.imageName ?? '-'} ${t.state} ${formatPercent(c.bytesDone, c.bytesTotal)}${waitingText(t) ? ` ${waitingText(t)}` : ''}${t.failureReason ? ` ${t.failureReason}` : ''}`,
    );
  }
  line(`schedules ${schedules.length}`);
  for (const s of schedules) {
    line(
      `schedule ${s.name} ${s.type}${s.imageName ? ` ${s.imageName}` : ''} ${s.targets} "${s.cron}" ${s.timezone} next=${nextRunText(s)} last=${s.lastOutcome ?? '-'}`,
    );
  }
  if (webhooks) {
    line(`webhooks ${webhooks.length}`);
    for (const w of webhooks) {
      const last = w.lastDelivery ? deliveryText(w.lastDelivery) : 'none';
      line(
        `webhook ${w.name} ${w.url} ${w.enabled ? 'on' : 'off'} events=${webhookEventsText(w.events)} last=${last}`,
      );
    }
  }
  if (!follow) return 0;
  return new Promise<number>((resolve) => {
    const fail = (m: string) => {
      line(`error ${m}`);
      resolve(1);
    };
    port.onHostEvent((kind, h) => line(`${new Date().toISOString()} host ${kind} ${h.name}`), fail);
    port.onTaskEvent(
      (kind, t) => line(`${new Date().toISOString()} task ${kind} ${t.type} ${t.hostName ?? '-'} ${t.state}`),
      fail,
    );
  });
}
