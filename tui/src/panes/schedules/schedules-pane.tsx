/** @jsxRuntime automatic */
import { nextRunText } from '../../console/console-model.ts';
import type { ConsoleData } from '../../console/use-console-data.ts';
import type { ConsoleUi } from '../../console/use-console-state.ts';
import { Table, type TableRow } from '../../ui/table.tsx';

export interface SchedulesPaneProps {
  readonly data: ConsoleData;
  readonly ui: ConsoleUi;
  readonly width: number;
  readonly height: number;
}

/**
 * Recurring task schedules: what, on which hosts, when next, and what the last run did (the
 * busy hosts it could not queue, or why it was skipped). Created through the API.
 */
export function SchedulesPane({ data, ui, width, height }: SchedulesPaneProps) {
  // The cron expression when there is room; the next run says the same at 80 columns.
  const withCron = width >= 100;
  const rows: TableRow[] = data.schedules.map((s) => ({
    key: s.id,
    tone: s.enabled ? undefined : 'muted',
    cells: [
      s.name,
      `${s.type}${s.imageName ? ` ${s.imageName}` : ''}`,
      s.targets,
      ...(withCron ? [s.cron] : []),
      nextRunText(s),
      s.lastOutcome ?? '—',
    ],
  }));
  return (
    <Table
      columns={[
        { title: 'Schedule', width: 12 },
        { title: 'Task', width: 16 },
        { title: 'On', width: 0 },
        ...(withCron ? [{ title: 'Cron', width: 14 }] : []),
        { title: 'Next', width: 16 },
        { title: 'Last run', width: 0 },
      ]}
      rows={rows}
      selected={Math.min(ui.selected.schedules, rows.length - 1)}
      width={width}
      height={height}
      empty="no schedules (createTaskSchedule in the API)"
    />
  );
}
