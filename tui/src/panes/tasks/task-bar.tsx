/** @jsxRuntime automatic */
import { Text } from 'ink';
import { type TaskRow, waitingText } from '../../console/console-model.ts';
import { progressBar } from '../../transfer/transfer-screen.tsx';
import { displayEta, displayRate, type TransferState } from '../../transfer/use-transfer-state.ts';
import { formatBytes, formatDuration, formatRate, percentOf } from '../../ui/format.ts';
import { sanitizeText } from '../../ui/sanitize.ts';
import { padToWidth } from '../../ui/text-width.ts';
import { useTheme } from '../../ui/theme.ts';

export interface TaskBarProps {
  readonly task: TaskRow;
  /** Live transfer state when progress events arrived, else the task row's last counters. */
  readonly transfer: TransferState | undefined;
  readonly width: number;
  /** Draw the pointer glyph. @default false */
  readonly selected?: boolean;
}

/** One line per active task: who, what, a bar, percent, bytes, rate, ETA (or what it waits for). */
export function TaskBar({ task, transfer, width, selected = false }: TaskBarProps) {
  const theme = useTheme();
  const c = transfer?.counters ?? task.counters;
  const pct = percentOf(
    c.bytesTotal > 0 ? c.bytesDone : c.blocksDone,
    c.bytesTotal > 0 ? c.bytesTotal : c.blocksTotal,
  );
  const label = padToWidth(sanitizeText(`${task.type} ${task.hostName ?? '?'}`), 22);
  const waiting = waitingText(task);
  const stats = waiting
    ? ` ${waiting}`
    : ` ${pct.toFixed(1).padStart(5)}% ${formatBytes(c.bytesDone)}/${formatBytes(c.bytesTotal)} ${formatRate(transfer ? displayRate(transfer) : c.rateBytesPerSecond)} ETA ${formatDuration(transfer ? displayEta(transfer) : c.etaSeconds)}`;
  const barWidth = Math.max(10, width - 2 - 22 - 1 - stats.length);
  return (
    <Text wrap="truncate">
      {selected ? theme.pointer : ' '}
      {label}{' '}
      <Text color={theme.color(task.state === 'IN_PROGRESS' ? 'accent' : 'muted')}>
        {progressBar(pct, barWidth)}
      </Text>
      {stats}
    </Text>
  );
}
