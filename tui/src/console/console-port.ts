/**
 * What the console needs from the server, as one interface: the urql implementation lives in
 * `api/graphql-console-port.ts`; component tests use a small in-memory one.
 */

import type { BlockState } from '../block-map/use-block-map-state.ts';
import type { InventoryReport } from '../client/agent-port.ts';
import type { ProgressCounters } from '../transfer/use-transfer-state.ts';

export interface BlockUpdate {
  readonly index: number;
  readonly state: BlockState;
}

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

export type Unsubscribe = () => void;

/** A mutation's outcome as the status bar shows it (domain errors are data, not exceptions). */
export type CommandResult = { ok: true; message: string } | { ok: false; message: string };

export interface ConsolePort {
  loadHosts(): Promise<{ hosts: HostRow[]; totalCount: number }>;
  /** Hosts matching `text` (name, description, MAC), asked of the server: the list holds one page. */
  searchHosts(text: string): Promise<HostRow[]>;
  loadHostInventory(hostId: string): Promise<InventoryReport | null>;
  loadImages(): Promise<ImageRow[]>;
  loadTasks(): Promise<TaskRow[]>;
  loadAudit(): Promise<AuditRow[]>;
  loadMulticast(): Promise<MulticastRow[]>;
  loadStore(): Promise<StoreStats | null>;
  /** Recurring task schedules; they have no events: loaded on visit and after each change. */
  loadSchedules(): Promise<ScheduleRow[]>;
  /** REPLICA nodes and how their replication stands; null for a non-admin (the server does not tell). */
  loadReplication(): Promise<ReplicaNodeRow[] | null>;
  /** Webhooks with their newest deliveries, loaded on visit and after each change; null for a non-admin. */
  loadWebhooks(): Promise<WebhookRow[] | null>;
  onHostEvent(
    listener: (kind: string, host: HostRow) => void,
    onError: (message: string) => void,
  ): Unsubscribe;
  onTaskEvent(
    listener: (kind: string, task: TaskRow) => void,
    onError: (message: string) => void,
  ): Unsubscribe;
  onImageEvent(
    listener: (kind: string, image: ImageRow) => void,
    onError: (message: string) => void,
  ): Unsubscribe;
  /** New audit entries (ADMIN only on the server: others get an error, ignored). */
  onAuditEntry(listener: (entry: AuditRow) => void, onError: (message: string) => void): Unsubscribe;
  /** Live counters; `blocks` are per-block changes, `doneRanges` every finished block (catch-up). */
  onTaskProgress(
    taskId: string,
    listener: (
      counters: ProgressCounters,
      blocks?: BlockUpdate[] | null,
      doneRanges?: number[] | null,
    ) => void,
  ): Unsubscribe;
  /** Called when the live connection is (re)established: the lists are reloaded to close the gap. */
  onReconnect?(listener: () => void): Unsubscribe;
  approveHost(hostId: string): Promise<CommandResult>;
  startCapture(hostId: string, imageId: string): Promise<CommandResult>;
  /** One request, all or nothing: one task per host. */
  startDeploy(
    hostIds: readonly string[],
    imageId: string,
    scheduledAt?: string | null,
  ): Promise<CommandResult>;
  startInventory(hostIds: readonly string[]): Promise<CommandResult>;
  /** FOG's Wake-up task: the server sends the machine's Wake-on-LAN magic packets. */
  wakeHosts(hostIds: readonly string[]): Promise<CommandResult>;
  startWipe(hostId: string, mode: 'FAST' | 'NORMAL' | 'FULL'): Promise<CommandResult>;
  cancelTask(taskId: string): Promise<CommandResult>;
  /** A deploy or capture waiting for a unicast slot takes the next free one. */
  moveTaskToFrontOfLine(taskId: string): Promise<CommandResult>;
  setImageProtected(imageId: string, protect: boolean): Promise<CommandResult>;
  deleteImage(imageId: string): Promise<CommandResult>;
  deleteImageVersion(versionId: string): Promise<CommandResult>;
  /** Queues a check of every chunk of the version in the store (the result shows in its row). */
  verifyImageVersion(versionId: string): Promise<CommandResult>;
  setCurrentImageVersion(versionId: string): Promise<CommandResult>;
  /** Versions kept after each capture (0: all); a lower limit deletes older versions at once. */
  setImageKeepVersions(imageId: string, keep: number): Promise<CommandResult>;
  setScheduleEnabled(scheduleId: string, enabled: boolean): Promise<CommandResult>;
  /** Runs it once now; the result line says what it queued. */
  runScheduleNow(scheduleId: string): Promise<CommandResult>;
  /** The tasks it already queued stay. */
  deleteSchedule(scheduleId: string): Promise<CommandResult>;
  setWebhookEnabled(webhookId: string, enabled: boolean): Promise<CommandResult>;
  /** Queues a PING to this webhook only (a disabled one gets it once enabled). */
  pingWebhook(webhookId: string): Promise<CommandResult>;
  /** Sends a delivery's document again, as a new delivery. */
  redeliverWebhookDelivery(deliveryId: string): Promise<CommandResult>;
  /** Removes the chunks no version references any more (ADMIN). */
  collectStoreGarbage(): Promise<CommandResult>;
  /** Registers the store's image versions the database lacks (ADMIN). */
  importStoreImages(): Promise<CommandResult>;
}
