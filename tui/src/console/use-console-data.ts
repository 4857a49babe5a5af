/**
 * The data the console shows, kept current by subscriptions: initial lists from queries, then
 * `hostEvents`, `taskEvents` and `taskProgress` fold in. Pure reducer; runs behind the throttled
 * store so a burst of progress events costs at most ten renders a second.
 */

import type { InventoryReport } from '../client/agent-port.ts';
import type { ProgressCounters } from '../transfer/use-transfer-state.ts';
import { initialTransfer, type TransferState, transferReducer } from '../transfer/use-transfer-state.ts';
import type {
  AuditRow,
  HostRow,
  ImageRow,
  MulticastRow,
  ReplicaNodeRow,
  ScheduleRow,
  StoreStats,
  TaskRow,
  WebhookRow,
} from './console-model.ts';
import type { BlockUpdate } from './console-port.ts';

export interface ConsoleData {
  readonly hosts: readonly HostRow[];
  readonly hostsTotal: number;
  /** False until the first host list arrived (the dashboard then says "loading", not "0"). */
  readonly hostsLoaded: boolean;
  readonly images: readonly ImageRow[];
  readonly tasks: readonly TaskRow[];
  readonly audit: readonly AuditRow[];
  readonly multicast: readonly MulticastRow[];
  readonly schedules: readonly ScheduleRow[];
  /** Null when the server does not show them to this viewer (not an ADMIN). */
  readonly webhooks: readonly WebhookRow[] | null;
  readonly store: StoreStats | null;
  /** REPLICA nodes (admins only; null otherwise or until loaded). */
  readonly replication: readonly ReplicaNodeRow[] | null;
  /** Live transfer state per task id (bars, rate smoothing, block map). */
  readonly transfers: Readonly<Record<string, TransferState>>;
  /** Connection problems, shown in the status bar. */
  readonly error: string | null;
  readonly nowMs: number;
  /** The host whose inventory the detail view shows. */
  readonly hostDetail: { readonly id: string; readonly inventory: InventoryReport | null } | null;
}

export type ConsoleDataAction =
  | { type: 'hostsLoaded'; hosts: readonly HostRow[]; totalCount: number }
  | { type: 'hostEvent'; kind: string; host: HostRow }
  /** Hosts the server found for a search, past the first page: kept with the others. */
  | { type: 'hostsFound'; hosts: readonly HostRow[] }
  | { type: 'imagesLoaded'; images: readonly ImageRow[] }
  | { type: 'imageChanged'; image: ImageRow }
  | { type: 'imageRemoved'; id: string }
  | { type: 'tasksLoaded'; tasks: readonly TaskRow[] }
  | { type: 'taskEvent'; kind: string; task: TaskRow; atMs: number }
  | {
      type: 'taskProgress';
      taskId: string;
      counters: ProgressCounters;
      atMs: number;
      blocks?: readonly BlockUpdate[] | null;
      doneRanges?: readonly number[] | null;
    }
  | { type: 'auditLoaded'; entries: readonly AuditRow[] }
  | { type: 'auditEntry'; entry: AuditRow }
  | { type: 'multicastLoaded'; sessions: readonly MulticastRow[] }
  | { type: 'schedulesLoaded'; schedules: readonly ScheduleRow[] }
  | { type: 'webhooksLoaded'; webhooks: readonly WebhookRow[] | null }
  | { type: 'storeLoaded'; store: StoreStats }
  | { type: 'replicationLoaded'; replication: readonly ReplicaNodeRow[] }
  | { type: 'error'; message: string | null }
  | { type: 'hostDetailLoaded'; id: string; inventory: InventoryReport | null }
  | { type: 'tick'; atMs: number };

export const emptyConsoleData: ConsoleData = {
  hosts: [],
  hostsTotal: 0,
  hostsLoaded: false,
  images: [],
  tasks: [],
  audit: [],
  multicast: [],
  schedules: [],
  webhooks: [],
  store: null,
  replication: null,
  transfers: {},
  error: null,
  nowMs: 0,
  hostDetail: null,
};

function upsert<T extends { id: string }>(list: readonly T[], item: T, front = false): T[] {
  const i = list.findIndex((x) => x.id === item.id);
  if (i < 0) return front ? [item, ...list] : [...list, item];
  const copy = list.slice();
  copy[i] = item;
  return copy;
}

const FINAL: Record<string, 'complete' | 'failed' | 'cancelled'> = {
  COMPLETE: 'complete',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
};

function withTaskState(d: ConsoleData, task: TaskRow, atMs: number): Record<string, TransferState> {
  const current = d.transfers[task.id];
  const outcome = FINAL[task.state];
  if (current === undefined || outcome === undefined) return d.transfers as Record<string, TransferState>;
  return {
    ...d.transfers,
    [task.id]: transferReducer(current, { type: 'finished', outcome, message: task.failureReason, atMs }),
  };
}

export function consoleDataReducer(d: ConsoleData, a: ConsoleDataAction): ConsoleData {
  switch (a.type) {
    case 'hostsLoaded':
      return { ...d, hosts: a.hosts, hostsTotal: a.totalCount, hostsLoaded: true };
    case 'hostEvent': {
      if (a.kind === 'DELETED') {
        const had = d.hosts.some((h) => h.id === a.host.id);
        return {
          ...d,
          hosts: d.hosts.filter((h) => h.id !== a.host.id),
          hostsTotal: d.hostsTotal - (had ? 1 : 0),
        };
      }
      // Past the first page an UPDATED host may be one not loaded: only a new host is one more.
      const added =
        (a.kind === 'CREATED' || a.kind === 'REGISTERED') && !d.hosts.some((h) => h.id === a.host.id);
      return { ...d, hosts: upsert(d.hosts, a.host), hostsTotal: d.hostsTotal + (added ? 1 : 0) };
    }
    case 'hostsFound': {
      const known = new Set(d.hosts.map((h) => h.id));
      const fresh = a.hosts.filter((h) => !known.has(h.id));
      return fresh.length === 0 ? d : { ...d, hosts: [...d.hosts, ...fresh] };
    }
    case 'imagesLoaded':
      return { ...d, images: a.images };
    case 'imageChanged':
      return { ...d, images: upsert(d.images, a.image) };
    case 'imageRemoved':
      return { ...d, images: d.images.filter((i) => i.id !== a.id) };
    case 'tasksLoaded':
      return { ...d, tasks: a.tasks };
    case 'taskEvent':
      return { ...d, tasks: upsert(d.tasks, a.task, true), transfers: withTaskState(d, a.task, a.atMs) };
    case 'taskProgress': {
      const task = d.tasks.find((t) => t.id === a.taskId);
      const title = task ? `${task.type} ${task.hostName ?? ''} ${task.imageName ?? ''}`.trim() : a.taskId;
      let next = d.transfers[a.taskId] ?? initialTransfer(title, a.atMs);
      if (next.map.blocksTotal !== a.counters.blocksTotal && a.counters.blocksTotal > 0) {
        next = transferReducer(next, {
          type: 'map',
          action: { type: 'reset', blocksTotal: a.counters.blocksTotal },
        });
      }
      if (a.doneRanges && !next.map.perBlock) {
        next = transferReducer(next, {
          type: 'map',
          action: { type: 'ranges', ranges: a.doneRanges, state: 'written' },
        });
      }
      if (a.blocks && a.blocks.length > 0) {
        next = transferReducer(next, { type: 'map', action: { type: 'blocks', updates: a.blocks } });
      }
      next = transferReducer(next, { type: 'progress', counters: a.counters, atMs: a.atMs });
      const tasks = task ? upsert(d.tasks, { ...task, counters: a.counters }) : d.tasks;
      return { ...d, tasks, transfers: { ...d.transfers, [a.taskId]: next } };
    }
    case 'auditLoaded':
      return { ...d, audit: a.entries };
    case 'auditEntry':
      return { ...d, audit: [a.entry, ...d.audit.filter((e) => e.id !== a.entry.id)].slice(0, 500) };
    case 'multicastLoaded':
      return { ...d, multicast: a.sessions };
    case 'schedulesLoaded':
      return { ...d, schedules: a.schedules };
    case 'webhooksLoaded':
      return { ...d, webhooks: a.webhooks };
    case 'storeLoaded':
      return { ...d, store: a.store };
    case 'replicationLoaded':
      return { ...d, replication: a.replication };
    case 'error':
      return { ...d, error: a.message };
    case 'hostDetailLoaded':
      return { ...d, hostDetail: { id: a.id, inventory: a.inventory } };
    case 'tick': {
      const transfers: Record<string, TransferState> = {};
      for (const [id, t] of Object.entries(d.transfers))
        transfers[id] = transferReducer(t, { type: 'tick', atMs: a.atMs });
      return { ...d, nowMs: a.atMs, transfers };
    }
  }
}

/** Hosts matching the search (name, MAC or description, case-insensitive). */
export function filterHosts(hosts: readonly HostRow[], search: string): readonly HostRow[] {
  const q = search.trim().toLowerCase();
  if (q === '') return hosts;
  return hosts.filter(
    (h) =>
      h.name.toLowerCase().includes(q) ||
      h.description.toLowerCase().includes(q) ||
      h.macs.some((m) => m.toLowerCase().includes(q) || m.replace(/:/g, '').includes(q.replace(/[:-]/g, ''))),
  );
}
