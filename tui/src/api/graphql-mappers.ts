/** GraphQL results → the console's rows, and union results → status lines. */

import type { BlockState } from '../block-map/use-block-map-state.ts';
import type { InventoryReport } from '../client/agent-port.ts';
import type {
  HostRow,
  ImageRow,
  ImageStoreRow,
  ReplicaNodeRow,
  ScheduleRow,
  StoreStats,
  TaskRow,
  WebhookRow,
} from '../console/console-model.ts';
import type { CommandResult } from '../console/console-port.ts';
import type { ProgressCounters } from '../transfer/use-transfer-state.ts';
import type {
  ErrorShape,
  HostFields,
  ImageFields,
  ProgressFields,
  ReplicaNodeFields,
  ScheduleFields,
  StoreStatsFields,
  TaskFields,
  WebhookFields,
} from './documents.ts';

export function toHostRow(h: HostFields): HostRow {
  return {
    id: h.id,
    name: h.name,
    macs: h.macs,
    pending: h.pending,
    description: h.description,
    lastSeenAt: h.lastSeenAt,
    lastAddress: h.lastAddress ?? null,
  };
}

export function toCounters(p: ProgressFields): ProgressCounters {
  return {
    blocksDone: p.blocksDone,
    blocksTotal: p.blocksTotal,
    bytesDone: p.bytesDone,
    bytesTotal: p.bytesTotal,
    rateBytesPerSecond: p.rateBytesPerSecond > 0 ? p.rateBytesPerSecond : null,
    etaSeconds: p.etaSeconds,
    phase: p.phase,
    partition: p.partition,
  };
}

export function toTaskRow(t: TaskFields): TaskRow {
  return {
    id: t.id,
    type: t.type,
    state: t.state,
    hostId: t.host?.id ?? null,
    hostName: t.host?.name ?? null,
    imageName: t.image?.name ?? null,
    createdAt: t.createdAt,
    failureReason: t.failureReason,
    inLine: t.inLine ?? null,
    scheduledAt: t.scheduledAt ?? null,
    counters: toCounters(t.progress),
  };
}

export function toImageRow(i: ImageFields): ImageRow {
  return {
    id: i.id,
    name: i.name,
    osType: i.osType,
    imageType: i.imageType,
    protected: i.protected,
    enabled: i.enabled,
    keepVersions: i.keepVersions,
    versions: i.versions.map((v) => ({
      id: `v${v.number}`,
      versionId: v.id,
      number: v.number,
      createdAt: v.createdAt,
      sizeBytes: v.sizeBytes,
      storedBytes: v.storedBytes,
      blockCount: v.blockCount,
      current: v.current,
      check: checkWords(v.lastVerification),
    })),
  };
}

/** A version's last chunk check in a few letters: damage shouts, the rest does not. */
export function checkWords(v: { state: string; problemCount: number } | null): string {
  if (v === null) return '—';
  return v.state === 'DAMAGED' ? `DAMAGED ${v.problemCount}` : v.state.toLowerCase();
}

/** The server's block words (capture: uploaded/deduplicated) in the block map's states. */
export function toBlockState(s: string): BlockState {
  switch (s) {
    case 'skipped':
    case 'deduplicated':
      return 'skipped';
    case 'verified':
      return 'verified';
    case 'failed':
      return 'failed';
    case 'transferring':
      return 'transferring';
    default:
      return 'written'; // written, uploaded
  }
}

/** `Foo` from `FooError`, spaced: `ImageProtectedError` → `image protected`. */
function errorWords(typename: string): string {
  return typename
    .replace(/Error$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

/** A mutation's union result as a status line. */
export function toCommandResult(
  r: ErrorShape | undefined,
  success: string,
  ok: (r: ErrorShape) => string,
): CommandResult {
  if (r === undefined) return { ok: false, message: 'no answer from the server' };
  if (r.__typename === success) return { ok: true, message: ok(r) };
  return { ok: false, message: r.message ?? errorWords(r.__typename) };
}

/** What a store import did, in one status line: counts, and the first version skipped with why. */
export function storeImportWords(r: {
  alreadyRegistered?: number;
  imported?: readonly { imageName: string; createdImage: boolean }[];
  skipped?: readonly { imageName: string; storeVersion: number | null; reason: string }[];
}): string {
  const imported = r.imported ?? [];
  const skipped = r.skipped ?? [];
  const created = new Set(imported.filter((v) => v.createdImage).map((v) => v.imageName)).size;
  const parts = [
    imported.length === 0
      ? 'nothing to register'
      : `${imported.length} version${imported.length === 1 ? '' : 's'} registered (${created} new image${created === 1 ? '' : 's'})`,
  ];
  const first = skipped[0];
  if (first) {
    const version = first.storeVersion === null ? '' : ` v${first.storeVersion}`;
    const why = first.reason.toLowerCase().replaceAll('_', ' ');
    parts.push(
      `${skipped.length} skipped (${first.imageName}${version}: ${why}${skipped.length > 1 ? ', ...' : ''})`,
    );
  }
  if ((r.alreadyRegistered ?? 0) > 0) parts.push(`${r.alreadyRegistered} already registered`);
  return `store import: ${parts.join('; ')}`;
}

export function toInventory(raw: Record<string, unknown> | null): InventoryReport | null {
  return raw as InventoryReport | null;
}

export function toStoreStats(s: StoreStatsFields): StoreStats {
  const images: Record<string, ImageStoreRow> = {};
  for (const { imageId, ...row } of s.images) images[imageId] = row;
  return {
    usedBytes: s.usedBytes,
    freeBytes: s.freeBytes,
    totalBytes: s.totalBytes,
    chunkCount: s.chunkCount,
    logicalBytes: s.logicalBytes,
    dedupSavedBytes: s.dedupSavedBytes,
    images,
  };
}

/** REPLICA nodes that replicate (enabled, with a token), summed up; the MASTER is not one. */
export function toReplicaNodes(nodes: readonly ReplicaNodeFields[]): ReplicaNodeRow[] {
  return nodes
    .filter((n) => n.role === 'REPLICA' && n.enabled && n.hasReplicationToken)
    .map((n) => ({ name: n.name, ...n.replicationSummary }));
}

export function toScheduleRow(s: ScheduleFields): ScheduleRow {
  const hosts = s.hosts.length;
  return {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    type: s.type,
    targets: s.group ? `group ${s.group.name}` : `${hosts} host${hosts === 1 ? '' : 's'}`,
    imageName: s.image?.name ?? null,
    enabled: s.enabled,
    nextRunAt: s.nextRunAt,
    lastOutcome: s.lastOutcome,
  };
}

/** A webhook with its newest delivery; the newest FAILED one is what the console sends again. */
export function toWebhookRow(w: WebhookFields): WebhookRow {
  const deliveries = w.deliveries.edges.map((e) => e.node);
  return {
    id: w.id,
    name: w.name,
    url: w.url,
    events: w.events,
    enabled: w.enabled,
    lastDelivery: deliveries[0] ?? null,
    lastFailedDeliveryId: deliveries.find((d) => d.state === 'FAILED')?.id ?? null,
  };
}
