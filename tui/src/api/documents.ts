/**
 * Every GraphQL document the TUI sends, in one place, typed by hand from `schema.graphql`
 * (the test `documents.test.ts` validates each one against that file, so a renamed field fails
 * there rather than on a user's screen).
 */
import { gql } from '@urql/core';

// ---------- shared shapes ----------
export interface ErrorShape {
  __typename: string;
  message?: string;
}
export interface HostFields {
  id: string;
  name: string;
  macs: string[];
  pending: boolean;
  description: string;
  lastSeenAt: string | null;
  lastAddress: string | null;
}
export interface ProgressFields {
  blocksDone: number;
  blocksTotal: number;
  bytesDone: number;
  bytesTotal: number;
  rateBytesPerSecond: number;
  etaSeconds: number | null;
  phase: string | null;
  partition: number | null;
}
export interface TaskFields {
  id: string;
  type: string;
  state: string;
  createdAt: string;
  failureReason: string | null;
  scheduledAt: string | null;
  inLine: { ahead: number; busy: number; slots: number } | null;
  host: { id: string; name: string } | null;
  image: { id: string; name: string } | null;
  progress: ProgressFields;
}
export interface ImageFields {
  id: string;
  name: string;
  osType: string;
  imageType: string;
  protected: boolean;
  enabled: boolean;
  keepVersions: number | null;
  versions: {
    id: string;
    number: number;
    createdAt: string;
    sizeBytes: number;
    storedBytes: number;
    blockCount: number;
    current: boolean;
    lastVerification: { state: string; problemCount: number } | null;
  }[];
}
interface Connection<T> {
  totalCount: number;
  edges: { node: T }[];
}

const HOST = 'id name macs pending description lastSeenAt lastAddress';
const PROGRESS = 'blocksDone blocksTotal bytesDone bytesTotal rateBytesPerSecond etaSeconds phase partition';
const TASK = `id type state createdAt scheduledAt failureReason host { id name } image { id name } progress { ${PROGRESS} } inLine { ahead busy slots }`;
const IMAGE =
  'id name osType imageType protected enabled keepVersions versions { id number createdAt sizeBytes storedBytes blockCount current lastVerification { state problemCount } }';
const ERR = '__typename ... on Error { message }';

// ---------- auth ----------
export const LoginDocument = gql<
  { login: ErrorShape & { token?: string; user?: { username: string; role: string } } },
  { username: string; password: string }
>`
  mutation Login($username: String!, $password: String!) {
    login(input: { username: $username, password: $password }) {
      ${ERR}
      ... on LoginSuccess { token user { username role } }
    }
  }
`;

export const ViewerDocument = gql<
  { viewer: { username: string; role: string } | null },
  Record<string, never>
>`
  query Viewer { viewer { username role } }
`;

// ---------- lists ----------
export const HostsDocument = gql<
  { hosts: Connection<HostFields> },
  { first: number; search?: string | null }
>`
  query Hosts($first: Int!, $search: String) { hosts(first: $first, search: $search) { totalCount edges { node { ${HOST} } } } }
`;

export const HostByMacDocument = gql<{ hostByMac: HostFields | null }, { mac: string }>`
  query HostByMac($mac: String!) { hostByMac(mac: $mac) { ${HOST} } }
`;

export const HostInventoryDocument = gql<
  {
    host: {
      id: string;
      inventory: (Record<string, unknown> & { disks: unknown[]; nics: unknown[] }) | null;
    } | null;
  },
  { id: string }
>`
  query HostInventory($id: ID!) {
    host(id: $id) {
      id
      inventory {
        systemManufacturer systemProduct systemVersion systemSerial systemUuid chassisType
        biosVendor biosVersion biosDate boardManufacturer boardProduct boardVersion boardSerial boardAssetTag
        cpuManufacturer cpuModel cpuCurrentSpeedMhz cpuMaxSpeedMhz cpuCores memoryBytes
        disks { device model firmware serial sizeBytes removable }
        nics { name mac driver speedMbps }
        primaryUser otherTags
      }
    }
  }
`;

export const ImagesDocument = gql<{ images: Connection<ImageFields> }, { first: number }>`
  query Images($first: Int!) { images(first: $first) { totalCount edges { node { ${IMAGE} } } } }
`;

export const GroupsDocument = gql<{ groups: Connection<{ id: string; name: string }> }, { first: number }>`
  query Groups($first: Int!) { groups(first: $first) { totalCount edges { node { id name } } } }
`;

export const TasksDocument = gql<{ tasks: Connection<TaskFields> }, { first: number }>`
  query Tasks($first: Int!) { tasks(first: $first) { totalCount edges { node { ${TASK} } } } }
`;

export const AuditDocument = gql<
  {
    auditLog: Connection<{
      id: string;
      at: string;
      actorName: string;
      action: string;
      allowed: boolean;
      outcome: string;
      targetIds: string[];
      clientAddress: string | null;
    }>;
  },
  { first: number }
>`
  query Audit($first: Int!) {
    auditLog(first: $first) { totalCount edges { node { id at actorName action allowed outcome targetIds clientAddress } } }
  }
`;

export const MulticastDocument = gql<
  {
    multicastSessions: Connection<{
      id: string;
      name: string;
      state: string;
      image: { name: string } | null;
      imageVersion: { blockCount: number } | null;
      receivers: {
        state: string;
        blocksDone: number;
        host: { name: string } | null;
        task: { id: string } | null;
      }[];
    }>;
  },
  { first: number }
>`
  query Multicast($first: Int!) {
    multicastSessions(first: $first) {
      totalCount
      edges { node { id name state image { name } imageVersion { blockCount } receivers { state blocksDone host { name } task { id } } } }
    }
  }
`;

export interface ScheduleFields {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  type: string;
  enabled: boolean;
  nextRunAt: string | null;
  lastOutcome: string | null;
  hosts: { id: string }[];
  group: { name: string } | null;
  image: { name: string } | null;
}

export const TaskSchedulesDocument = gql<{ taskSchedules: Connection<ScheduleFields> }, { first: number }>`
  query TaskSchedules($first: Int!) {
    taskSchedules(first: $first) {
      totalCount
      edges { node { id name cron timezone type enabled nextRunAt lastOutcome hosts { id } group { name } image { name } } }
    }
  }
`;

export interface ReplicaNodeFields {
  name: string;
  role: string;
  enabled: boolean;
  hasReplicationToken: boolean;
  replicationSummary: { done: number; failed: number; replicating: number; lastError: string | null };
}

/** ADMIN only: the storage nodes and, per node, how its replicated versions stand. */
export const ReplicationDocument = gql<{ storageNodes: Connection<ReplicaNodeFields> }, { first: number }>`
  query Replication($first: Int!) {
    storageNodes(first: $first) {
      totalCount
      edges { node { name role enabled hasReplicationToken replicationSummary { done failed replicating lastError } } }
    }
  }
`;

export const SetTaskScheduleEnabledDocument = gql<
  Result<'setTaskScheduleEnabled', { schedule?: { name: string; enabled: boolean } }>,
  { id: string; enabled: boolean }
>`
  mutation SetTaskScheduleEnabled($id: ID!, $enabled: Boolean!) {
    setTaskScheduleEnabled(input: { id: $id, enabled: $enabled }) {
      ${ERR} ... on SetTaskScheduleEnabledSuccess { schedule { name enabled } }
    }
  }
`;

export const RunTaskScheduleNowDocument = gql<
  Result<'runTaskScheduleNow', { schedule?: { name: string; lastOutcome: string | null } }>,
  { id: string }
>`
  mutation RunTaskScheduleNow($id: ID!) {
    runTaskScheduleNow(input: { id: $id }) { ${ERR} ... on RunTaskScheduleNowSuccess { schedule { name lastOutcome } } }
  }
`;

export const DeleteTaskScheduleDocument = gql<
  Result<'deleteTaskSchedule', { schedule?: { name: string } }>,
  { id: string }
>`
  mutation DeleteTaskSchedule($id: ID!) {
    deleteTaskSchedule(input: { id: $id }) { ${ERR} ... on DeleteTaskScheduleSuccess { schedule { name } } }
  }
`;

export interface WebhookDeliveryFields {
  id: string;
  event: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface WebhookFields {
  id: string;
  name: string;
  url: string;
  events: string[];
  enabled: boolean;
  deliveries: Connection<WebhookDeliveryFields>;
}

/** ADMIN only: the webhooks, each with its newest `deliveries` (newest first). */
export const WebhooksDocument = gql<
  { webhooks: Connection<WebhookFields> },
  { first: number; deliveries: number }
>`
  query Webhooks($first: Int!, $deliveries: Int!) {
    webhooks(first: $first) {
      totalCount
      edges { node { id name url events enabled deliveries(first: $deliveries) {
        totalCount
        edges { node { id event state attempts lastStatus lastError createdAt deliveredAt } }
      } } }
    }
  }
`;

export const SetWebhookEnabledDocument = gql<
  Result<'updateWebhook', { webhook?: { name: string; enabled: boolean } }>,
  { id: string; enabled: boolean }
>`
  mutation SetWebhookEnabled($id: ID!, $enabled: Boolean!) {
    updateWebhook(input: { id: $id, enabled: $enabled }) {
      ${ERR} ... on UpdateWebhookSuccess { webhook { name enabled } }
    }
  }
`;

export const PingWebhookDocument = gql<
  Result<'pingWebhook', { delivery?: { id: string; state: string } }>,
  { id: string }
>`
  mutation PingWebhook($id: ID!) {
    pingWebhook(input: { id: $id }) { ${ERR} ... on PingWebhookSuccess { delivery { id state } } }
  }
`;

export const RedeliverWebhookDeliveryDocument = gql<
  Result<'redeliverWebhookDelivery', { delivery?: { id: string; event: string } }>,
  { id: string }
>`
  mutation RedeliverWebhookDelivery($id: ID!) {
    redeliverWebhookDelivery(input: { id: $id }) {
      ${ERR} ... on RedeliverWebhookDeliverySuccess { delivery { id event } }
    }
  }
`;

export interface StoreStatsFields {
  usedBytes: number;
  freeBytes: number;
  totalBytes: number;
  chunkCount: number;
  logicalBytes: number;
  dedupSavedBytes: number;
  images: {
    imageId: string;
    versionCount: number;
    logicalBytes: number;
    storedBytes: number;
    uniqueBytes: number;
    dedupSavedBytes: number;
  }[];
}

export const StoreStatsDocument = gql<{ storeStats: StoreStatsFields }, Record<string, never>>`
  query StoreStats {
    storeStats {
      usedBytes freeBytes totalBytes chunkCount logicalBytes dedupSavedBytes
      images { imageId versionCount logicalBytes storedBytes uniqueBytes dedupSavedBytes }
    }
  }
`;

// ---------- subscriptions ----------
export const HostEventsDocument = gql<
  { hostEvents: { kind: string; host: HostFields } },
  Record<string, never>
>`
  subscription HostEvents { hostEvents { kind host { ${HOST} } } }
`;

export const TaskEventsDocument = gql<
  { taskEvents: { kind: string; task: TaskFields } },
  Record<string, never>
>`
  subscription TaskEvents { taskEvents { kind task { ${TASK} } } }
`;

export const TaskProgressDocument = gql<
  {
    taskProgress: ProgressFields & {
      taskId: string;
      blocks: { index: number; state: string }[] | null;
      doneRanges: number[] | null;
    };
  },
  { taskId: string }
>`
  subscription TaskProgress($taskId: ID!) { taskProgress(taskId: $taskId) { taskId ${PROGRESS} blocks { index state } doneRanges } }
`;

export const ImageEventsDocument = gql<
  { imageEvents: { kind: string; image: ImageFields } },
  Record<string, never>
>`
  subscription ImageEvents { imageEvents { kind image { ${IMAGE} } } }
`;

export const AuditEventsDocument = gql<
  {
    auditEvents: {
      id: string;
      at: string;
      actorName: string;
      action: string;
      allowed: boolean;
      outcome: string;
      targetIds: string[];
      clientAddress: string | null;
    };
  },
  Record<string, never>
>`
  subscription AuditEvents { auditEvents { id at actorName action allowed outcome targetIds clientAddress } }
`;

// ---------- mutations ----------
type Result<K extends string, S> = { [k in K]: ErrorShape & S };

export const ApproveHostDocument = gql<Result<'approveHost', { host?: { name: string } }>, { id: string }>`
  mutation ApproveHost($id: ID!) { approveHost(input: { id: $id }) { ${ERR} ... on ApproveHostSuccess { host { name } } } }
`;

export const DeleteHostDocument = gql<Result<'deleteHost', { host?: { name: string } }>, { id: string }>`
  mutation DeleteHost($id: ID!) { deleteHost(input: { id: $id }) { ${ERR} ... on DeleteHostSuccess { host { name } } } }
`;

export const StartCaptureDocument = gql<
  Result<'startCapture', { task?: { id: string } }>,
  { hostId: string; imageId: string }
>`
  mutation StartCapture($hostId: ID!, $imageId: ID!) {
    startCapture(input: { hostId: $hostId, imageId: $imageId }) { ${ERR} ... on StartCaptureSuccess { task { id } } }
  }
`;

export const StartDeployDocument = gql<
  Result<'startDeploy', { tasks?: { id: string }[] }>,
  { hostIds: string[]; imageId: string; scheduledAt: string | null }
>`
  mutation StartDeploy($hostIds: [ID!]!, $imageId: ID!, $scheduledAt: DateTime) {
    startDeploy(input: { hostIds: $hostIds, imageId: $imageId, scheduledAt: $scheduledAt }) {
      ${ERR} ... on StartDeploySuccess { tasks { id } }
    }
  }
`;

export const StartInventoryDocument = gql<
  Result<'startInventory', { tasks?: { id: string }[] }>,
  { hostIds: string[] }
>`
  mutation StartInventory($hostIds: [ID!]!) {
    startInventory(input: { hostIds: $hostIds }) { ${ERR} ... on StartInventorySuccess { tasks { id } } }
  }
`;

/** FOG's Wake-up task: the server sends the host's magic packets. */
export const StartWakeUpDocument = gql<
  Result<'startTask', { tasks?: { id: string }[] }>,
  { hostIds: string[] }
>`
  mutation StartWakeUp($hostIds: [ID!]!) {
    startTask(input: { hostIds: $hostIds, type: WAKE_UP }) { ${ERR} ... on StartTaskSuccess { tasks { id } } }
  }
`;

export const StartWipeDocument = gql<
  Result<'startWipe', { task?: { id: string } }>,
  { hostId: string; mode: string }
>`
  mutation StartWipe($hostId: ID!, $mode: WipeMode!) {
    startWipe(input: { hostId: $hostId, mode: $mode }) { ${ERR} ... on StartWipeSuccess { task { id } } }
  }
`;

export const CancelTaskDocument = gql<Result<'cancelTask', { task?: { id: string } }>, { id: string }>`
  mutation CancelTask($id: ID!) { cancelTask(input: { id: $id }) { ${ERR} ... on CancelTaskSuccess { task { id } } } }
`;

export const MoveTaskToFrontOfLineDocument = gql<
  Result<'moveTaskToFrontOfLine', { task?: { id: string } }>,
  { id: string }
>`
  mutation MoveTaskToFrontOfLine($id: ID!) {
    moveTaskToFrontOfLine(input: { id: $id }) { ${ERR} ... on MoveTaskToFrontOfLineSuccess { task { id } } }
  }
`;

export const SetImageProtectedDocument = gql<
  Result<'setImageProtected', { image?: { name: string; protected: boolean } }>,
  { id: string; protected: boolean }
>`
  mutation SetImageProtected($id: ID!, $protected: Boolean!) {
    setImageProtected(input: { id: $id, protected: $protected }) { ${ERR} ... on SetImageProtectedSuccess { image { name protected } } }
  }
`;

export const DeleteImageDocument = gql<Result<'deleteImage', { image?: { name: string } }>, { id: string }>`
  mutation DeleteImage($id: ID!) { deleteImage(input: { id: $id }) { ${ERR} ... on DeleteImageSuccess { image { name } } } }
`;

export const DeleteImageVersionDocument = gql<
  Result<'deleteImageVersion', { deletedVersionNumber?: number; image?: { name: string } }>,
  { versionId: string }
>`
  mutation DeleteImageVersion($versionId: ID!) {
    deleteImageVersion(input: { versionId: $versionId }) { ${ERR} ... on DeleteImageVersionSuccess { deletedVersionNumber image { name } } }
  }
`;

export const VerifyImageVersionDocument = gql<
  Result<
    'verifyImageVersion',
    {
      alreadyActive?: boolean;
      verification?: { version: { number: number; image: { name: string } | null } | null };
    }
  >,
  { versionId: string }
>`
  mutation VerifyImageVersion($versionId: ID!) {
    verifyImageVersion(input: { versionId: $versionId }) { ${ERR} ... on VerifyImageVersionSuccess { alreadyActive verification { version { number image { name } } } } }
  }
`;

export const SetCurrentImageVersionDocument = gql<
  Result<'setCurrentImageVersion', { image?: { name: string }; version?: { number: number } }>,
  { versionId: string }
>`
  mutation SetCurrentImageVersion($versionId: ID!) {
    setCurrentImageVersion(input: { versionId: $versionId }) { ${ERR} ... on SetCurrentImageVersionSuccess { image { name } version { number } } }
  }
`;

export const SetImageKeepVersionsDocument = gql<
  Result<'updateImage', { image?: { name: string; keepVersions: number | null } }>,
  { id: string; keep: number }
>`
  mutation SetImageKeepVersions($id: ID!, $keep: Int!) {
    updateImage(input: { id: $id, keepVersions: $keep }) { ${ERR} ... on UpdateImageSuccess { image { name keepVersions } } }
  }
`;

export const CollectStoreGarbageDocument = gql<
  Result<'collectStoreGarbage', { removedChunks?: number; removedBytes?: number; keptRecentChunks?: number }>,
  Record<string, never>
>`
  mutation CollectStoreGarbage {
    collectStoreGarbage(input: {}) { ${ERR} ... on CollectStoreGarbageSuccess { removedChunks removedBytes keptRecentChunks } }
  }
`;

export const ImportStoreImagesDocument = gql<
  Result<
    'importStoreImages',
    {
      alreadyRegistered?: number;
      imported?: { imageName: string; createdImage: boolean }[];
      skipped?: { imageName: string; storeVersion: number | null; reason: string }[];
    }
  >,
  Record<string, never>
>`
  mutation ImportStoreImages {
    importStoreImages(input: {}) { ${ERR} ... on ImportStoreImagesSuccess { alreadyRegistered imported { imageName createdImage } skipped { imageName storeVersion reason } } }
  }
`;

export const JoinMulticastSessionDocument = gql<
  Result<
    'joinMulticastSession',
    { session?: { name: string }; task?: { id: string; type: string }; state?: string }
  >,
  { sessionName: string; hostId: string }
>`
  mutation JoinMulticastSession($sessionName: String!, $hostId: ID!) {
    joinMulticastSession(input: { sessionName: $sessionName, hostId: $hostId }) {
      ${ERR}
      ... on JoinMulticastSessionSuccess { session { name } task { id type } }
      ... on MulticastSessionFinishedError { state }
    }
  }
`;

/** Every document, for the schema validation test. */
export const ALL_DOCUMENTS = {
  LoginDocument,
  ViewerDocument,
  HostsDocument,
  HostByMacDocument,
  HostInventoryDocument,
  ImagesDocument,
  GroupsDocument,
  TasksDocument,
  AuditDocument,
  MulticastDocument,
  StoreStatsDocument,
  HostEventsDocument,
  TaskEventsDocument,
  TaskProgressDocument,
  ImageEventsDocument,
  AuditEventsDocument,
  ApproveHostDocument,
  DeleteHostDocument,
  StartCaptureDocument,
  StartDeployDocument,
  StartInventoryDocument,
  StartWipeDocument,
  StartWakeUpDocument,
  CancelTaskDocument,
  MoveTaskToFrontOfLineDocument,
  TaskSchedulesDocument,
  ReplicationDocument,
  SetTaskScheduleEnabledDocument,
  RunTaskScheduleNowDocument,
  DeleteTaskScheduleDocument,
  WebhooksDocument,
  SetWebhookEnabledDocument,
  PingWebhookDocument,
  RedeliverWebhookDeliveryDocument,
  SetImageProtectedDocument,
  DeleteImageDocument,
  DeleteImageVersionDocument,
  VerifyImageVersionDocument,
  SetCurrentImageVersionDocument,
  SetImageKeepVersionsDocument,
  CollectStoreGarbageDocument,
  ImportStoreImagesDocument,
  JoinMulticastSessionDocument,
};
