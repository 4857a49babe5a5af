/** @jsxRuntime automatic */
import type { ConsoleData } from '../../console/use-console-data.ts';
import type { ConsoleUi } from '../../console/use-console-state.ts';
import { formatPercent } from '../../ui/format.ts';
import { Table, type TableRow } from '../../ui/table.tsx';

export interface MulticastPaneProps {
  readonly data: ConsoleData;
  readonly ui: ConsoleUi;
  readonly width: number;
  readonly height: number;
}

/** Multicast sessions, each followed by one row per receiver. */
export function MulticastPane({ data, ui, width, height }: MulticastPaneProps) {
  const rows: TableRow[] = [];
  for (const s of data.multicast) {
    rows.push({ key: s.id, cells: [s.name, s.imageName ?? '—', s.state, `${s.receivers.length} receivers`] });
    for (const r of s.receivers) {
      const pct = r.blocksDone !== null && r.blocksTotal ? formatPercent(r.blocksDone, r.blocksTotal) : '—';
      rows.push({ key: `${s.id}/${r.hostName}`, cells: [`  └ ${r.hostName}`, '', r.state, pct] });
    }
  }
  return (
    <Table
      columns={[
        { title: 'Session / receiver', width: 0 },
        { title: 'Image', width: 16 },
        { title: 'State', width: 12 },
        { title: 'Progress', width: 12, align: 'right' },
      ]}
      rows={rows}
      selected={Math.min(ui.selected.multicast, rows.length - 1)}
      width={width}
      height={height}
      empty="no multicast sessions"
    />
  );
}
