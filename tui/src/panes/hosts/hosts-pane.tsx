/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import { isActiveTask } from '../../console/console-model.ts';
import { type ConsoleData, filterHosts } from '../../console/use-console-data.ts';
import type { ConsoleUi } from '../../console/use-console-state.ts';
import { sanitizeText } from '../../ui/sanitize.ts';
import { Table } from '../../ui/table.tsx';
import { useTheme } from '../../ui/theme.ts';
import { InventoryView } from './inventory-view.tsx';

export interface HostsPaneProps {
  readonly data: ConsoleData;
  readonly ui: ConsoleUi;
  readonly width: number;
  readonly height: number;
}

/** The host list with search, state, active task; Enter opens the inventory. */
export function HostsPane({ data, ui, width, height }: HostsPaneProps) {
  const theme = useTheme();
  const hosts = filterHosts(data.hosts, ui.search);
  const detailHost = ui.detail === null ? undefined : data.hosts.find((h) => h.id === ui.detail);
  if (detailHost) {
    const inv = data.hostDetail?.id === detailHost.id ? data.hostDetail.inventory : undefined;
    return (
      <Box flexDirection="column" width={width}>
        <Text bold>
          {`Host ${sanitizeText(detailHost.name)}  ${detailHost.macs.join(' ')}${detailHost.lastAddress ? `  ${sanitizeText(detailHost.lastAddress)}` : ''}`}
        </Text>
        {inv === undefined && <Text color={theme.color('muted')}>loading inventory…</Text>}
        {inv === null && <Text color={theme.color('muted')}>no inventory reported yet (n queues one)</Text>}
        {inv && <InventoryView inventory={inv} width={width} height={height - 1} />}
      </Box>
    );
  }
  const activeByHost = new Map(data.tasks.filter(isActiveTask).map((t) => [t.hostId, t]));
  const rows = hosts.map((h) => {
    const task = activeByHost.get(h.id);
    return {
      key: h.id,
      tone: h.pending ? ('warn' as const) : undefined,
      cells: [
        `${ui.marked.includes(h.id) ? '+' : ' '}${h.name}`,
        h.macs[0] ?? '',
        h.pending ? '! pending' : 'approved',
        task ? `${task.type} ${task.state}` : '—',
        h.lastSeenAt ? h.lastSeenAt.slice(0, 16).replace('T', ' ') : 'never',
      ],
    };
  });
  const searchLine = ui.searching || ui.search !== '';
  const markLine = ui.marked.length > 0;
  return (
    <Box flexDirection="column" width={width}>
      {searchLine && (
        <Text>{`/${ui.search}${ui.searching ? '▏' : ''}   ${hosts.length} of ${data.hostsTotal}`}</Text>
      )}
      {markLine && (
        <Text color={theme.color('accent')} wrap="truncate">
          {`${ui.marked.length} marked: l deploys, n inventories, o wakes them all (Space unmarks)`}
        </Text>
      )}
      <Table
        columns={[
          { title: ' Name', width: 16 },
          { title: 'MAC', width: 17 },
          { title: 'State', width: 9 },
          { title: 'Task', width: 0 },
          { title: 'Last seen', width: 16 },
        ]}
        rows={rows}
        selected={Math.min(ui.selected.hosts, rows.length - 1)}
        width={width}
        height={height - (searchLine ? 1 : 0) - (markLine ? 1 : 0)}
        empty={ui.search ? 'no host matches' : 'no hosts yet'}
      />
    </Box>
  );
}
