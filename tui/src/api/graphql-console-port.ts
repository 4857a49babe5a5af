/**
 * The console's port over GraphQL: queries for the initial lists, subscriptions for everything
 * after, mutations returning typed unions mapped to status lines.
 */
import type { AnyVariables, Client, TypedDocumentNode } from '@urql/core';
import { localMinute } from '../console/console-model.ts';
import type { ConsolePort, Unsubscribe } from '../console/console-port.ts';
import { formatBytes } from '../ui/format.ts';
import * as D from './documents.ts';
import type { ApiClient } from './graphql-client.ts';
import {
  storeImportWords,
  toBlockState,
  toCommandResult,
  toCounters,
  toHostRow,
  toImageRow,
  toInventory,
  toReplicaNodes,
  toScheduleRow,
  toStoreStats,
  toTaskRow,
  toWebhookRow,
} from './graphql-mappers.ts';

/** A GraphQL or network failure, as the status bar shows it. */
export class ApiRequestError extends Error {
  readonly code = 'API_REQUEST';
  constructor(message: string) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

const PAGE = 500;
/** Deliveries read per webhook: the newest is shown, the newest FAILED one is redelivered. */
const RECENT_DELIVERIES = 20;

/** "deploy" for one task, "12 deploys" for more. */
const queued = (tasks: readonly unknown[] | undefined, one: string, many: string) =>
  (tasks?.length ?? 1) === 1 ? one : `${tasks?.length} ${many}`;

export async function runQuery<D, V extends AnyVariables>(
  client: Client,
  doc: TypedDocumentNode<D, V>,
  vars: V,
): Promise<D> {
  const r = await client.query(doc, vars).toPromise();
  if (r.error) throw new ApiRequestError(r.error.message.replace(/^\[(GraphQL|Network)\] /, ''));
  if (!r.data) throw new ApiRequestError('empty answer');
  return r.data;
}

export async function runMutation<D, V extends AnyVariables>(
  client: Client,
  doc: TypedDocumentNode<D, V>,
  vars: V,
): Promise<D> {
  const r = await client.mutation(doc, vars).toPromise();
  if (r.error) throw new ApiRequestError(r.error.message.replace(/^\[(GraphQL|Network)\] /, ''));
  if (!r.data) throw new ApiRequestError('empty answer');
  return r.data;
}

/** A query some roles may not make: null when the server says FORBIDDEN. */
async function queryUnlessForbidden<D, V extends AnyVariables>(
  client: Client,
  doc: TypedDocumentNode<D, V>,
  vars: V,
): Promise<D | null> {
  const r = await client.query(doc, vars).toPromise();
  if (r.error?.graphQLErrors.some((e) => e.extensions?.code === 'FORBIDDEN')) return null;
  if (r.error) throw new ApiRequestError(r.error.message.replace(/^\[(GraphQL|Network)\] /, ''));
  return r.data ?? null;
}

function follow<D, V extends AnyVariables>(
  client: Client,
  doc: TypedDocumentNode<D, V>,
  vars: V,
  next: (d: D) => void,
  onError: (m: string) => void,
): Unsubscribe {
  return client.subscription(doc, vars).subscribe((r) => {
    if (r.error) onError(r.error.message);
    else if (r.data) next(r.data);
  }).unsubscribe;
}

export function createGraphqlConsolePort(client: Client, api?: Pick<ApiClient, 'onConnected'>): ConsolePort {
  return {
    ...(api ? { onReconnect: (listener: () => void) => api.onConnected(listener) } : {}),
    async loadHosts() {
      const d = await runQuery(client, D.HostsDocument, { first: PAGE });
      return { hosts: d.hosts.edges.map((e) => toHostRow(e.node)), totalCount: d.hosts.totalCount };
    },
    async searchHosts(text) {
      const d = await runQuery(client, D.HostsDocument, { first: 200, search: text });
      return d.hosts.edges.map((e) => toHostRow(e.node));
    },
    async loadHostInventory(id) {
      return toInventory((await runQuery(client, D.HostInventoryDocument, { id })).host?.inventory ?? null);
    },
    async loadImages() {
      return (await runQuery(client, D.ImagesDocument, { first: 200 })).images.edges.map((e) =>
        toImageRow(e.node),
      );
    },
    async loadTasks() {
      return (await runQuery(client, D.TasksDocument, { first: 200 })).tasks.edges.map((e) =>
        toTaskRow(e.node),
      );
    },
    async loadAudit() {
      return (await runQuery(client, D.AuditDocument, { first: 200 })).auditLog.edges.map((e) => e.node);
    },
    async loadMulticast() {
      const d = await runQuery(client, D.MulticastDocument, { first: 50 });
      return d.multicastSessions.edges.map(({ node: s }) => ({
        id: s.id,
        name: s.name,
        state: s.state,
        imageName: s.image?.name ?? null,
        receivers: s.receivers.map((r) => ({
          taskId: r.task?.id ?? null,
          hostName: r.host?.name ?? '?',
          state: r.state,
          blocksDone: r.blocksDone,
          blocksTotal: s.imageVersion?.blockCount ?? null,
        })),
      }));
    },
    async loadSchedules() {
      const d = await runQuery(client, D.TaskSchedulesDocument, { first: PAGE });
      return d.taskSchedules.edges.map(({ node }) => toScheduleRow(node));
    },
    async setScheduleEnabled(id, enabled) {
      const r = (await runMutation(client, D.SetTaskScheduleEnabledDocument, { id, enabled }))
        .setTaskScheduleEnabled;
      return toCommandResult(
        r,
        'SetTaskScheduleEnabledSuccess',
        () => `${r.schedule?.name ?? 'schedule'} ${enabled ? 'enabled' : 'disabled'}`,
      );
    },
    async runScheduleNow(id) {
      const r = (await runMutation(client, D.RunTaskScheduleNowDocument, { id })).runTaskScheduleNow;
      return toCommandResult(
        r,
        'RunTaskScheduleNowSuccess',
        () => `${r.schedule?.name ?? 'schedule'}: ${r.schedule?.lastOutcome ?? 'ran'}`,
      );
    },
    async deleteSchedule(id) {
      const r = (await runMutation(client, D.DeleteTaskScheduleDocument, { id })).deleteTaskSchedule;
      return toCommandResult(
        r,
        'DeleteTaskScheduleSuccess',
        () => `${r.schedule?.name ?? 'schedule'} deleted`,
      );
    },
    async loadReplication() {
      // ADMIN only: other roles' dashboards show no replication line.
      const d = await queryUnlessForbidden(client, D.ReplicationDocument, { first: PAGE });
      return d ? toReplicaNodes(d.storageNodes.edges.map((e) => e.node)) : null;
    },
    async loadStore() {
      // OPERATOR and ADMIN only: a viewer's dashboard shows the store as unknown.
      const d = await queryUnlessForbidden(client, D.StoreStatsDocument, {});
      return d ? toStoreStats(d.storeStats) : null;
    },
    async loadWebhooks() {
      // ADMIN only: the pane tells other roles so.
      const vars = { first: PAGE, deliveries: RECENT_DELIVERIES };
      const d = await queryUnlessForbidden(client, D.WebhooksDocument, vars);
      return d ? d.webhooks.edges.map((e) => toWebhookRow(e.node)) : null;
    },
    async setWebhookEnabled(id, enabled) {
      const r = (await runMutation(client, D.SetWebhookEnabledDocument, { id, enabled })).updateWebhook;
      return toCommandResult(
        r,
        'UpdateWebhookSuccess',
        () => `${r.webhook?.name ?? 'webhook'} ${enabled ? 'enabled' : 'disabled'}`,
      );
    },
    async pingWebhook(id) {
      const r = (await runMutation(client, D.PingWebhookDocument, { id })).pingWebhook;
      return toCommandResult(r, 'PingWebhookSuccess', () => 'PING queued');
    },
    async redeliverWebhookDelivery(id) {
      const r = (await runMutation(client, D.RedeliverWebhookDeliveryDocument, { id }))
        .redeliverWebhookDelivery;
      return toCommandResult(
        r,
        'RedeliverWebhookDeliverySuccess',
        () => `${r.delivery?.event ?? 'delivery'} sent again as a new delivery`,
      );
    },
    onHostEvent: (listener, onError) =>
      follow(
        client,
        D.HostEventsDocument,
        {},
        (d) => listener(d.hostEvents.kind, toHostRow(d.hostEvents.host)),
        onError,
      ),
    onTaskEvent: (listener, onError) =>
      follow(
        client,
        D.TaskEventsDocument,
        {},
        (d) => listener(d.taskEvents.kind, toTaskRow(d.taskEvents.task)),
        onError,
      ),
    onImageEvent: (listener, onError) =>
      follow(
        client,
        D.ImageEventsDocument,
        {},
        (d) => listener(d.imageEvents.kind, toImageRow(d.imageEvents.image)),
        onError,
      ),
    onAuditEntry: (listener, onError) =>
      follow(client, D.AuditEventsDocument, {}, (d) => listener(d.auditEvents), onError),
    onTaskProgress: (taskId, listener) =>
      follow(
        client,
        D.TaskProgressDocument,
        { taskId },
        (d) =>
          listener(
            toCounters(d.taskProgress),
            d.taskProgress.blocks?.map((b) => ({ index: b.index, state: toBlockState(b.state) })),
            d.taskProgress.doneRanges,
          ),
        () => {}, // progress is best effort: taskEvents still tell the outcome
      ),
    async approveHost(id) {
      const r = (await runMutation(client, D.ApproveHostDocument, { id })).approveHost;
      return toCommandResult(r, 'ApproveHostSuccess', () => `approved ${r.host?.name ?? ''}`);
    },
    async startCapture(hostId, imageId) {
      const r = (await runMutation(client, D.StartCaptureDocument, { hostId, imageId })).startCapture;
      return toCommandResult(r, 'StartCaptureSuccess', () => 'capture queued');
    },
    async startDeploy(hostIds, imageId, scheduledAt = null) {
      const vars = { hostIds: [...hostIds], imageId, scheduledAt };
      const r = (await runMutation(client, D.StartDeployDocument, vars)).startDeploy;
      const when = scheduledAt ? ` for ${localMinute(new Date(scheduledAt))}` : '';
      return toCommandResult(
        r,
        'StartDeploySuccess',
        () => `${queued(r.tasks, 'deploy', 'deploys')} queued${when}`,
      );
    },
    async startInventory(hostIds) {
      const r = (await runMutation(client, D.StartInventoryDocument, { hostIds: [...hostIds] }))
        .startInventory;
      return toCommandResult(
        r,
        'StartInventorySuccess',
        () => `${queued(r.tasks, 'inventory', 'inventories')} queued`,
      );
    },
    async wakeHosts(hostIds) {
      const r = (await runMutation(client, D.StartWakeUpDocument, { hostIds: [...hostIds] })).startTask;
      return toCommandResult(r, 'StartTaskSuccess', () => `${queued(r.tasks, 'wake-up', 'wake-ups')} queued`);
    },
    async startWipe(hostId, mode) {
      const r = (await runMutation(client, D.StartWipeDocument, { hostId, mode })).startWipe;
      return toCommandResult(r, 'StartWipeSuccess', () => `${mode.toLowerCase()} wipe queued`);
    },
    async cancelTask(id) {
      const r = (await runMutation(client, D.CancelTaskDocument, { id })).cancelTask;
      return toCommandResult(r, 'CancelTaskSuccess', () => 'task cancelled');
    },
    async moveTaskToFrontOfLine(id) {
      const r = (await runMutation(client, D.MoveTaskToFrontOfLineDocument, { id })).moveTaskToFrontOfLine;
      return toCommandResult(r, 'MoveTaskToFrontOfLineSuccess', () => 'moved to the front of the line');
    },
    async setImageProtected(id, protect) {
      const r = (await runMutation(client, D.SetImageProtectedDocument, { id, protected: protect }))
        .setImageProtected;
      return toCommandResult(
        r,
        'SetImageProtectedSuccess',
        () => `${r.image?.name ?? 'image'} ${protect ? 'protected' : 'unprotected'}`,
      );
    },
    async deleteImage(id) {
      const r = (await runMutation(client, D.DeleteImageDocument, { id })).deleteImage;
      return toCommandResult(r, 'DeleteImageSuccess', () => `${r.image?.name ?? 'image'} deleted`);
    },
    async verifyImageVersion(versionId) {
      const r = (await runMutation(client, D.VerifyImageVersionDocument, { versionId })).verifyImageVersion;
      return toCommandResult(r, 'VerifyImageVersionSuccess', () => {
        const v = r.verification?.version;
        const what = `${v?.image?.name ?? 'image'} v${v?.number ?? '?'}`;
        return r.alreadyActive ? `${what}: a check is already on its way` : `${what}: check queued`;
      });
    },
    async deleteImageVersion(versionId) {
      const r = (await runMutation(client, D.DeleteImageVersionDocument, { versionId })).deleteImageVersion;
      return toCommandResult(
        r,
        'DeleteImageVersionSuccess',
        () =>
          `${r.image?.name ?? 'image'} v${r.deletedVersionNumber ?? '?'} deleted (its chunks go with the next collection)`,
      );
    },
    async setCurrentImageVersion(versionId) {
      const r = (await runMutation(client, D.SetCurrentImageVersionDocument, { versionId }))
        .setCurrentImageVersion;
      return toCommandResult(
        r,
        'SetCurrentImageVersionSuccess',
        () => `${r.image?.name ?? 'image'} now deploys v${r.version?.number ?? '?'}`,
      );
    },
    async setImageKeepVersions(id, keep) {
      const r = (await runMutation(client, D.SetImageKeepVersionsDocument, { id, keep })).updateImage;
      return toCommandResult(r, 'UpdateImageSuccess', () => {
        const n = r.image?.keepVersions ?? null;
        return `${r.image?.name ?? 'image'} ${n === null ? 'keeps every version' : `keeps its ${n} newest versions`}`;
      });
    },
    async importStoreImages() {
      const r = (await runMutation(client, D.ImportStoreImagesDocument, {})).importStoreImages;
      return toCommandResult(r, 'ImportStoreImagesSuccess', () => storeImportWords(r));
    },
    async collectStoreGarbage() {
      const r = (await runMutation(client, D.CollectStoreGarbageDocument, {})).collectStoreGarbage;
      return toCommandResult(
        r,
        'CollectStoreGarbageSuccess',
        () =>
          `store collected: ${r.removedChunks ?? 0} chunks removed (${formatBytes(r.removedBytes ?? 0)}), ${r.keptRecentChunks ?? 0} recent kept`,
      );
    },
  };
}
