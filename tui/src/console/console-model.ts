/**
 * The console's view of the server's objects, normalized from GraphQL results by
 * `api/console-api.ts`. The panes depend on these shapes only, not on the documents.
 */
import type { ProgressCounters } from '../transfer/use-transfer-state.ts';

export interface HostRow {
  readonly id: string;
  readonly name: string;
  readonly macs: readonly string[];
  readonly pending: boolean;
  readonly description: string;
  readonly lastSeenAt: string | null;
  /** Where its last boot request or check-in came from. */
  readonly lastAddress?: string | null;
}

export type TaskStateName = 'QUEUED' | 'CHECKED_IN' | 'IN_PROGRESS' | 'COMPLETE' | 'FAILED' | 'CANCELLED';
export const ACTIVE_TASK_STATES: readonly string[] = ['QUEUED', 'CHECKED_IN', 'IN_PROGRESS'];

export interface TaskRow {
  readonly id: string;
  readonly type: string;
  readonly state: string;
  readonly hostId: string | null;
  readonly hostName: string | null;
  readonly imageName: string | null;
  readonly createdAt: string | null;
  readonly failureReason: string | null;
  /** Set while its client waits for a unicast slot (FOG's "In line for …"). */
  readonly inLine?: { readonly ahead: number; readonly busy: number; readonly slots: number } | null;
  /** ISO time a scheduled task waits for (FOG's single scheduled task); null: due now. */
  readonly scheduledAt?: string | null;
  readonly counters: ProgressCounters;
}

/** What a QUEUED task waits for, in words: a slot, or its scheduled time; null when neither. */
export function waitingText(task: TaskRow, now = new Date()): string | null {
  if (task.state !== 'QUEUED') return null;
  if (task.inLine) return inLineText(task.inLine);
  const at = task.scheduledAt ? new Date(task.scheduledAt) : null;
  if (!at || Number.isNaN(at.getTime()) || at <= now) return null;
  return `scheduled for ${localMinute(at)}`;
}

/** `2026-11-27 02:00` in this terminal's local time: when the operator's clock says it happens. */
export function localMinute(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}`;
}

/** A schedule's next run in local time; "off" while disabled, "never" when it will not run again. */
export function nextRunText(s: Pick<ScheduleRow, 'enabled' | 'nextRunAt'>): string {
  if (!s.enabled) return 'off';
  return s.nextRunAt ? localMinute(new Date(s.nextRunAt)) : 'never';
}

/** FOG's wording for a client waiting for a unicast slot. */
export function inLineText(line: NonNullable<TaskRow['inLine']>): string {
  return `in line: ${line.ahead} ahead, ${line.busy}/${line.slots} slots busy`;
}

/** A recurring task schedule (FOG's cron-style scheduled task). */
export interface ScheduleRow {
  readonly id: string;
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly type: string;
  /** "group Lab A" or "3 hosts". */
  readonly targets: string;
  readonly imageName: string | null;
  readonly enabled: boolean;
  readonly nextRunAt: string | null;
  readonly lastOutcome: string | null;
}

/** One event sent (or being sent) to a webhook. */
export interface WebhookDeliveryRow {
  readonly id: string;
  readonly event: string;
  /** PENDING (not sent yet, or waiting for a retry), DELIVERED or FAILED (given up). */
  readonly state: string;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
}

/** A webhook (ADMIN only): where the events go, and how its newest delivery went. */
export interface WebhookRow {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly enabled: boolean;
  readonly lastDelivery: WebhookDeliveryRow | null;
  /** Its newest FAILED delivery among the recent ones: what `r` sends again. */
  readonly lastFailedDeliveryId: string | null;
}

const EVENT_WORDS: Readonly<Record<string, string>> = {
  TASK_STARTED: 'started',
  TASK_COMPLETE: 'complete',
  TASK_FAILED: 'failed',
  TASK_CANCELLED: 'cancelled',
  REPLICATION_FAILED: 'replication',
  HOST_REGISTERED: 'registered',
  IMAGE_DAMAGED: 'damaged',
};

/** The events a webhook wants, short: "failed,complete", or "all" for every one it can want. */
export function webhookEventsText(events: readonly string[]): string {
  if (Object.keys(EVENT_WORDS).every((e) => events.includes(e))) return 'all';
  return events.map((e) => EVENT_WORDS[e] ?? e.toLowerCase()).join(',');
}

/** "PING delivered ×1 HTTP 200", "TASK_FAILED retrying ×3 HTTP 500: nope", "PING pending". */
export function deliveryText(d: WebhookDeliveryRow): string {
  const state = d.state === 'PENDING' && d.attempts > 0 ? 'retrying' : d.state.toLowerCase();
  const answer = d.lastError ?? (d.lastStatus === null ? '' : `HTTP ${d.lastStatus}`);
  return [d.event, state, d.attempts > 0 ? `×${d.attempts}` : '', answer].filter(Boolean).join(' ');
}

/** A REPLICA storage node as the dashboard sums it up: its versions' last replication attempts. */
export interface ReplicaNodeRow {
  readonly name: string;
  readonly done: number;
  readonly failed: number;
  readonly replicating: number;
  /** The reason of one failed version, for the line. */
  readonly lastError: string | null;
}

export interface ImageVersionRow {
  /** What the console shows: `v<number>`. */
  readonly id: string;
  /** The version's global id, for mutations on it. */
  readonly versionId: string;
  readonly number: number;
  readonly createdAt: string | null;
  readonly sizeBytes: number | null;
  readonly storedBytes: number | null;
  readonly blockCount: number | null;
  readonly current: boolean;
  /** The last check of its chunks in the store: "passed", "DAMAGED 3", "running"...; "—" if never. */
  readonly check: string;
}

export interface ImageRow {
  readonly id: string;
  readonly name: string;
  readonly osType: string;
  readonly imageType: string;
  readonly protected: boolean;
  readonly enabled: boolean;
  /** Versions kept after each capture; null keeps all. */
  readonly keepVersions: number | null;
  readonly versions: readonly ImageVersionRow[];
}

export interface AuditRow {
  readonly id: string;
  readonly at: string;
  readonly actorName: string;
  readonly action: string;
  readonly allowed: boolean;
  readonly outcome: string;
  readonly targetIds: readonly string[];
  readonly clientAddress: string | null;
}

export interface MulticastReceiverRow {
  /** The receiver's MULTICAST task: its live progress drives the row. */
  readonly taskId: string | null;
  readonly hostName: string;
  readonly state: string;
  readonly blocksDone: number | null;
  readonly blocksTotal: number | null;
}

export interface MulticastRow {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly imageName: string | null;
  readonly receivers: readonly MulticastReceiverRow[];
}

/** One image's share of the store (server: `storeStats.images`). */
export interface ImageStoreRow {
  readonly versionCount: number;
  readonly logicalBytes: number;
  /** Compressed bytes its versions would take, each stored alone. */
  readonly storedBytes: number;
  /** What deleting the image would free (chunks no other image references). */
  readonly uniqueBytes: number;
  readonly dedupSavedBytes: number;
}

export interface StoreStats {
  /** The store's filesystem (statfs). */
  readonly usedBytes: number | null;
  readonly freeBytes: number | null;
  readonly totalBytes?: number | null;
  readonly chunkCount?: number | null;
  readonly logicalBytes?: number | null;
  readonly dedupSavedBytes?: number | null;
  /** By image id. */
  readonly images?: Readonly<Record<string, ImageStoreRow>>;
}

export function isActiveTask(t: TaskRow): boolean {
  return ACTIVE_TASK_STATES.includes(t.state);
}

/** Transfers (capture, deploy, multicast, wipe) are what `q` asks about before quitting. */
export function isTransferType(type: string): boolean {
  return ['DEPLOY', 'CAPTURE', 'MULTICAST', 'FAST_WIPE', 'NORMAL_WIPE', 'FULL_WIPE'].includes(type);
}
