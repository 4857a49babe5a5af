/**
 * An in-memory ConsolePort for component tests of the console (the real one is exercised against
 * a real server in the integration test). It records calls and lets the test push events.
 */
import type { InventoryReport } from '../../../tui/src/client/agent-port.ts';
import type {
  HostRow,
  ImageRow,
  ImageVersionRow,
  MulticastRow,
  ReplicaNodeRow,
  ScheduleRow,
  StoreStats,
  TaskRow,
  WebhookDeliveryRow,
  WebhookRow,
} from '../../../tui/src/console/console-model.ts';
import type { CommandResult, ConsolePort } from '../../../tui/src/console/console-port.ts';
import type { ProgressCounters } from '../../../tui/src/transfer/use-transfer-state.ts';

export function host(id: string, name: string, extra: Partial<HostRow> = {}): HostRow {
  return {
    id,
    name,
    macs: [`52:54:00:00:00:${id.padStart(2, '0')}`],
    pending: false,
    description: '',
    lastSeenAt: null,
    ...extra,
  };
}

/** Version `n` of an image: 1 GiB, created on the 2n-th of November (n < 10). */
export function version(n: number, current: boolean): ImageVersionRow {
  return {
    id: `v${n}`,
    versionId: `ver${n}`,
    number: n,
    createdAt: `2026-11-2${n}T10:00:00Z`,
    sizeBytes: 1024 ** 3,
    storedBytes: 512 * 1024 ** 2,
    blockCount: 1024,
    current,
    check: '—',
  };
}

export function image(
  id: string,
  name: string,
  versions: ImageVersionRow[],
  extra: Partial<ImageRow> = {},
): ImageRow {
  return {
    id,
    name,
    osType: 'WINDOWS_11',
    imageType: 'MULTIPLE_PARTITION_SINGLE_DISK',
    protected: false,
    enabled: true,
    keepVersions: null,
    versions,
    ...extra,
  };
}

export function task(id: string, hostId: string, extra: Partial<TaskRow> = {}): TaskRow {
  return {
    id,
    type: 'DEPLOY',
    state: 'IN_PROGRESS',
    hostId,
    hostName: `pc-${hostId}`,
    imageName: 'win11',
    createdAt: '2026-11-25T22:00:00.000Z',
    failureReason: null,
    counters: { blocksDone: 0, blocksTotal: 100, bytesDone: 0, bytesTotal: 100 * 1048576 },
    ...extra,
  };
}

export function webhook(id: string, name: string, extra: Partial<WebhookRow> = {}): WebhookRow {
  return {
    id,
    name,
    url: `https://hooks.example.com/${name}`,
    events: ['TASK_FAILED', 'TASK_COMPLETE'],
    enabled: true,
    lastDelivery: null,
    lastFailedDeliveryId: null,
    ...extra,
  };
}

/** A delivery written on 2026-11-27 at 10:02 local time, delivered at once unless told otherwise. */
export function delivery(id: string, extra: Partial<WebhookDeliveryRow> = {}): WebhookDeliveryRow {
  const at = new Date(2026, 10, 27, 10, 2).toISOString();
  return {
    id,
    event: 'PING',
    state: 'DELIVERED',
    attempts: 1,
    lastStatus: 200,
    lastError: null,
    createdAt: at,
    deliveredAt: at,
    ...extra,
  };
}

export class MemoryConsolePort implements ConsolePort {
  hosts: HostRow[] = [];
  images: ImageRow[] = [];
  tasks: TaskRow[] = [];
  multicast: MulticastRow[] = [];
  schedules: ScheduleRow[] = [];
  scheduleLoads = 0;
  /** Null: the viewer is not an ADMIN. */
  webhooks: WebhookRow[] | null = [];
  webhookLoads = 0;
  replication: ReplicaNodeRow[] | null = null;
  store: StoreStats | null = { usedBytes: 10 * 1024 ** 3, freeBytes: 90 * 1024 ** 3 };
  multicastLoads = 0;
  inventory: InventoryReport | null = null;
  calls: string[] = [];
  private hostListeners = new Set<(k: string, h: HostRow) => void>();
  private taskListeners = new Set<(k: string, t: TaskRow) => void>();
  private progressListeners = new Map<string, (c: ProgressCounters) => void>();

  emitHost(kind: string, h: HostRow) {
    for (const l of this.hostListeners) l(kind, h);
  }
  emitTask(kind: string, t: TaskRow) {
    for (const l of this.taskListeners) l(kind, t);
  }
  emitProgress(taskId: string, c: ProgressCounters) {
    this.progressListeners.get(taskId)?.(c);
  }
  followed(taskId: string) {
    return this.progressListeners.has(taskId);
  }

  /** Hosts on the "server" past the first page: counted, found by searchHosts only. */
  moreHosts: HostRow[] = [];
  loadHosts = async () => ({ hosts: this.hosts, totalCount: this.hosts.length + this.moreHosts.length });
  searchHosts = async (text: string) =>
    [...this.hosts, ...this.moreHosts].filter((h) => h.name.toLowerCase().includes(text.toLowerCase()));
  loadHostInventory = async () => this.inventory;
  loadImages = async () => this.images;
  loadTasks = async () => this.tasks;
  loadAudit = async () => [];
  loadMulticast = async () => {
    this.multicastLoads++;
    return this.multicast;
  };
  loadStore = async () => this.store;
  loadReplication = async () => this.replication;
  loadSchedules = async () => {
    this.scheduleLoads++;
    return this.schedules;
  };
  loadWebhooks = async () => {
    this.webhookLoads++;
    return this.webhooks;
  };
  onHostEvent(l: (k: string, h: HostRow) => void) {
    this.hostListeners.add(l);
    return () => this.hostListeners.delete(l);
  }
  onTaskEvent(l: (k: string, t: TaskRow) => void) {
    this.taskListeners.add(l);
    return () => this.taskListeners.delete(l);
  }
  onImageEvent() {
    return () => {};
  }
  onAuditEntry() {
    return () => {};
  }
  onTaskProgress(taskId: string, l: (c: ProgressCounters) => void) {
    this.progressListeners.set(taskId, l);
    return () => this.progressListeners.delete(taskId);
  }
  private record(call: string): Promise<CommandResult> {
    this.calls.push(call);
    return Promise.resolve({ ok: true, message: `done: ${call}` });
  }
  approveHost = (id: string) => this.record(`approve ${id}`);
  startCapture = (h: string, i: string) => this.record(`capture ${h} ${i}`);
  startDeploy = (h: readonly string[], i: string, at?: string | null) =>
    this.record(`deploy ${h.join(',')} ${i}${at ? ` at ${at}` : ''}`);
  startInventory = (h: readonly string[]) => this.record(`inventory ${h.join(',')}`);
  wakeHosts = (h: readonly string[]) => this.record(`wake ${h.join(',')}`);
  startWipe = (h: string, m: string) => this.record(`wipe ${h} ${m}`);
  cancelTask = (t: string) => this.record(`cancel ${t}`);
  moveTaskToFrontOfLine = (t: string) => this.record(`front ${t}`);
  setImageProtected = (i: string, p: boolean) => this.record(`protect ${i} ${p}`);
  deleteImage = (i: string) => this.record(`delete ${i}`);
  deleteImageVersion = (v: string) => this.record(`delete-version ${v}`);
  verifyImageVersion = (v: string) => this.record(`verify-version ${v}`);
  setCurrentImageVersion = (v: string) => this.record(`use-version ${v}`);
  setImageKeepVersions = (i: string, k: number) => this.record(`keep ${i} ${k}`);
  setScheduleEnabled = (s: string, e: boolean) => this.record(`schedule ${s} ${e}`);
  deleteSchedule = (s: string) => this.record(`delete-schedule ${s}`);
  runScheduleNow = (s: string) => this.record(`run-schedule ${s}`);
  setWebhookEnabled = (w: string, e: boolean) => this.record(`webhook ${w} ${e}`);
  pingWebhook = (w: string) => this.record(`ping ${w}`);
  redeliverWebhookDelivery = (d: string) => this.record(`redeliver ${d}`);
  collectStoreGarbage = () => this.record('collect');
  importStoreImages = () => this.record('import-store');
}
