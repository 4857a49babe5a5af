/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import { isActiveTask, type ReplicaNodeRow, type StoreStats } from '../../console/console-model.ts';
import type { ConsoleData } from '../../console/use-console-data.ts';
import { formatBytes } from '../../ui/format.ts';
import { useTheme } from '../../ui/theme.ts';
import { TaskBar } from '../tasks/task-bar.tsx';

export interface DashboardPaneProps {
  readonly data: ConsoleData;
  readonly width: number;
  readonly height: number;
}

/** Store room (its filesystem) and chunks; unknown (—) for a viewer, whom the server does not tell. */
export function storeLine(store: StoreStats | null): string {
  const room = `Store     ${formatBytes(store?.usedBytes)} used   ${formatBytes(store?.freeBytes)} free`;
  return store?.chunkCount == null ? room : `${room}   ${store.chunkCount} chunks`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Images and versions, then what deduplication saves over storing each version alone. */
export function imagesLine(images: number, versions: number, store: StoreStats | null): string {
  const counts = `Images    ${plural(images, 'image')}   ${plural(versions, 'version')}`;
  return store?.dedupSavedBytes == null
    ? counts
    : `${counts}   dedup saves ${formatBytes(store.dedupSavedBytes)}`;
}

/**
 * REPLICA nodes and how their copies stand ("site-b 3 ok   site-c 1 failed: why"), or null when
 * there is nothing to say (no replica node, or not an admin).
 */
export function replicationLine(nodes: readonly ReplicaNodeRow[] | null, width = 200): string | null {
  if (!nodes || nodes.length === 0) return null;
  const parts = nodes.map((n) => {
    const states = [
      n.done > 0 ? `${n.done} ok` : '',
      n.replicating > 0 ? `${n.replicating} sending` : '',
      n.failed > 0 ? `${n.failed} failed` : '',
    ].filter(Boolean);
    return `${n.name} ${states.length > 0 ? states.join(' ') : 'nothing yet'}`;
  });
  const why = nodes.find((n) => n.lastError)?.lastError;
  const text = `Replicas  ${parts.join('   ')}${why ? `: ${why}` : ''}`;
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
}

/** Hosts online/pending/total, images, store used/free, then the active tasks with live bars. */
export function DashboardPane({ data, width, height }: DashboardPaneProps) {
  const theme = useTheme();
  const pending = data.hosts.filter((h) => h.pending).length;
  const onlineWindowMs = 10 * 60_000; // FOG pings every 5 min: two missed pings is offline
  const online = data.hosts.filter(
    (h) => h.lastSeenAt && data.nowMs - Date.parse(h.lastSeenAt) < onlineWindowMs,
  ).length;
  const active = data.tasks.filter(isActiveTask);
  const versions = data.images.reduce((n, i) => n + i.versions.length, 0);
  return (
    <Box flexDirection="column" width={width}>
      <Text>
        {data.hostsLoaded
          ? `Hosts     ${data.hostsTotal} total   ${online} online   ${pending} pending approval`
          : 'Hosts     loading…'}
      </Text>
      <Text>{imagesLine(data.images.length, versions, data.store)}</Text>
      <Text>{storeLine(data.store)}</Text>
      {replicationLine(data.replication, width) !== null && (
        <Text color={data.replication?.some((n) => n.failed > 0) ? theme.color('bad') : undefined}>
          {replicationLine(data.replication, width)}
        </Text>
      )}
      <Text>{`Tasks     ${active.length} active   ${data.tasks.length - active.length} finished (recent)`}</Text>
      <Text> </Text>
      <Text bold color={theme.color('muted')}>
        Active tasks
      </Text>
      {active.length === 0 && <Text color={theme.color('muted')}> (none)</Text>}
      {active.slice(0, Math.max(1, height - 7)).map((t) => (
        <TaskBar key={t.id} task={t} transfer={data.transfers[t.id]} width={width} />
      ))}
    </Box>
  );
}
