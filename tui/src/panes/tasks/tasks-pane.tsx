/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import { isActiveTask } from '../../console/console-model.ts';
import type { ConsoleData } from '../../console/use-console-data.ts';
import type { ConsoleUi } from '../../console/use-console-state.ts';
import { TransferScreen } from '../../transfer/transfer-screen.tsx';
import { initialTransfer } from '../../transfer/use-transfer-state.ts';
import { Table } from '../../ui/table.tsx';
import { useTheme } from '../../ui/theme.ts';
import { TaskBar } from './task-bar.tsx';

export interface TasksPaneProps {
  readonly data: ConsoleData;
  readonly ui: ConsoleUi;
  readonly width: number;
  readonly height: number;
}

/** Tasks in the order the pane lists them (active first), so selection indexes agree with keys. */
export function orderedTasks(data: ConsoleData) {
  const active = data.tasks.filter(isActiveTask);
  const done = data.tasks.filter((t) => !isActiveTask(t));
  return { active, done, all: [...active, ...done] };
}

/** Active tasks with live bars, then history; Enter opens a task's transfer screen and block map. */
export function TasksPane({ data, ui, width, height }: TasksPaneProps) {
  const theme = useTheme();
  const { active, done, all } = orderedTasks(data);
  const opened = ui.detail === null ? undefined : data.tasks.find((t) => t.id === ui.detail);
  if (opened) {
    const state =
      data.transfers[opened.id] ?? initialTransfer(`${opened.type} ${opened.hostName ?? ''}`, data.nowMs);
    return <TransferScreen state={state} width={width} height={height} />;
  }
  const selected = Math.min(ui.selected.tasks, all.length - 1);
  const activeRows = Math.min(active.length, Math.max(1, Math.floor((height - 3) / 2)));
  return (
    <Box flexDirection="column" width={width}>
      <Text bold color={theme.color('muted')}>{`Active (${active.length})`}</Text>
      {active.length === 0 && <Text color={theme.color('muted')}> (none)</Text>}
      {active.slice(0, activeRows).map((t, i) => (
        <TaskBar
          key={t.id}
          task={t}
          transfer={data.transfers[t.id]}
          width={width}
          selected={i === selected}
        />
      ))}
      <Text bold color={theme.color('muted')}>{`History (${done.length})`}</Text>
      <Table
        columns={[
          { title: 'Type', width: 12 },
          { title: 'Host', width: 15 },
          { title: 'Image', width: 0 },
          { title: 'State', width: 11 },
          { title: 'Reason', width: 0 },
        ]}
        rows={done.map((t) => ({
          key: t.id,
          tone: t.state === 'FAILED' ? ('bad' as const) : undefined,
          cells: [
            t.type,
            t.hostName ?? '—',
            t.imageName ?? '—',
            t.state === 'FAILED' ? '✗ FAILED' : t.state,
            t.failureReason ?? '',
          ],
        }))}
        selected={selected - active.length}
        width={width}
        height={Math.max(2, height - 2 - Math.max(1, activeRows))}
      />
    </Box>
  );
}
