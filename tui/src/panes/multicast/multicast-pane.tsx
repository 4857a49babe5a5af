/** @jsxRuntime automatic */
import type { MulticastReceiverRow, TaskRow } from '../../console/console-model.ts';
import type { ConsoleData } from '../../console/use-console-data.ts';
import type { ConsoleUi } from '../../console/use-console-state.ts';
import { displayRate } from '../../transfer/use-transfer-state.ts';
import { formatPercent, formatRate } from '../../ui/format.ts';
import { Table, type TableRow } from '../../ui/table.tsx';

export interface MulticastPaneProps {
  readonly data: ConsoleData;
  readonly ui: ConsoleUi;
  readonly width: number;
  readonly height: number;
}

/**
 * A receiver's progress: its MULTICAST task's live counters (`taskProgress`) when the console
 * follows that task, else what the session list said when it was loaded.
 */
export function receiverProgress(
  r: MulticastReceiverRow,
  tasks: readonly TaskRow[],
  rate: number | null | undefined,
): { state: string; progress: string } {
  const task = r.taskId === null ? undefined : tasks.find((t) => t.id === r.taskId);
  const c = task?.counters;
  if (task && c && c.blocksTotal > 0) {
    const live = task.state === 'IN_PROGRESS' && rate ? ` ${formatRate(rate)}` : '';
    return { state: r.state, progress: `${formatPercent(c.blocksDone, c.blocksTotal)}${live}` };
  }
  const pct = r.blocksDone !== null && r.blocksTotal ? formatPercent(r.blocksDone, r.blocksTotal) : '—';
  return { state: r.state, progress: pct };
}

/** Multicast sessions, each followed by one row per receiver, live from its task's progress. */
export function MulticastPane({ data, ui, width, height }: MulticastPaneProps) {
  const rows: TableRow[] = [];
  for (const s of data.multicast) {
    rows.push({
      key: s.id,
      cells: [
        s.name,
        s.imageName ?? '—',
        s.state,
        `${s.receivers.length} receiver${s.receivers.length === 1 ? '' : 's'}`,
      ],
    });
    for (const r of s.receivers) {
      const transfer = r.taskId === null ? undefined : data.transfers[r.taskId];
      const rate = transfer ? displayRate(transfer) : null;
      const { state, progress } = receiverProgress(r, data.tasks, rate);
      rows.push({
        key: `${s.id}/${r.taskId ?? r.hostName}`,
        cells: [`  └ ${r.hostName}`, '', state, progress],
      });
    }
  }
  return (
    <Table
      columns={[
        { title: 'Session / receiver', width: 0 },
        { title: 'Image', width: 16 },
        { title: 'State', width: 12 },
        { title: 'Progress', width: 18, align: 'right' },
      ]}
      rows={rows}
      selected={Math.min(ui.selected.multicast, rows.length - 1)}
      width={width}
      height={height}
      empty="no multicast sessions"
    />
  );
}
