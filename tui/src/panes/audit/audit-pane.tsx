/** @jsxRuntime automatic */
import type { ConsoleData } from '../../console/use-console-data.ts';
import type { ConsoleUi } from '../../console/use-console-state.ts';
import { Table } from '../../ui/table.tsx';

export interface AuditPaneProps {
  readonly data: ConsoleData;
  readonly ui: ConsoleUi;
  readonly width: number;
  readonly height: number;
}

/** The audit log, newest first: who did what, allowed or refused, from where. */
export function AuditPane({ data, ui, width, height }: AuditPaneProps) {
  return (
    <Table
      columns={[
        { title: 'When', width: 19 },
        { title: 'Actor', width: 12 },
        { title: 'Action', width: 0 },
        { title: 'Result', width: 14 },
        { title: 'From', width: 15 },
      ]}
      rows={data.audit.map((e) => ({
        key: e.id,
        tone: e.allowed ? undefined : ('bad' as const),
        cells: [
          e.at.slice(0, 19).replace('T', ' '),
          e.actorName,
          e.action,
          e.allowed ? e.outcome : `✗ ${e.outcome}`,
          e.clientAddress ?? '—',
        ],
      }))}
      selected={Math.min(ui.selected.audit, data.audit.length - 1)}
      width={width}
      height={height}
      empty="no entries"
    />
  );
}
