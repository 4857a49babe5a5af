/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import { sanitizeText } from './sanitize.ts';
import { padToWidth } from './text-width.ts';
import { type Tone, useTheme } from './theme.ts';

export interface TableColumn {
  readonly title: string;
  /** Fixed width in columns; `0` takes a share of what is left. */
  readonly width: number;
  /** @default 'left' */
  readonly align?: 'left' | 'right';
}

export interface TableRow {
  readonly key: string;
  /** Cell texts; they are sanitized here, so client-supplied names can be passed as they are. */
  readonly cells: readonly string[];
  readonly tone?: Tone;
}

export interface TableProps {
  readonly columns: readonly TableColumn[];
  readonly rows: readonly TableRow[];
  /** Index of the selected row, or -1 for none. */
  readonly selected: number;
  /** Columns available. */
  readonly width: number;
  /** Rows available, header included; the list scrolls to keep the selection visible. */
  readonly height: number;
  /** Text when there are no rows. @default '(none)' */
  readonly empty?: string;
}

/** Widths of the columns: fixed ones as given, the others share the rest. */
export function columnWidths(columns: readonly TableColumn[], width: number): number[] {
  const gaps = columns.length; // one space before each cell, the pointer column first
  const fixed = columns.reduce((n, c) => n + c.width, 0);
  const flexible = columns.filter((c) => c.width === 0).length;
  const share = flexible > 0 ? Math.max(4, Math.floor((width - 1 - gaps - fixed) / flexible)) : 0;
  return columns.map((c) => (c.width === 0 ? share : c.width));
}

/** The window of rows to show so `selected` stays visible. */
export function visibleWindow(count: number, selected: number, capacity: number): [number, number] {
  if (count <= capacity) return [0, count];
  const start = Math.min(Math.max(0, selected - Math.floor(capacity / 2)), count - capacity);
  return [start, start + capacity];
}

/** A scrolling table with a glyph pointer on the selected row (visible without colour). */
export function Table({ columns, rows, selected, width, height, empty = '(none)' }: TableProps) {
  const theme = useTheme();
  const widths = columnWidths(columns, width);
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => ` ${padToWidth(sanitizeText(c), widths[i] ?? 4, columns[i]?.align ?? 'left')}`)
      .join('');
  const [from, to] = visibleWindow(rows.length, selected, Math.max(1, height - 1));
  return (
    <Box flexDirection="column" width={width}>
      <Text bold color={theme.color('muted')} wrap="truncate">
        {` ${line(columns.map((c) => c.title))}`}
      </Text>
      {rows.length === 0 && <Text color={theme.color('muted')}>{` ${empty}`}</Text>}
      {rows.slice(from, to).map((r, i) => {
        const isSel = from + i === selected;
        return (
          <Text
            key={r.key}
            wrap="truncate"
            inverse={isSel && !theme.noColor}
            color={r.tone ? theme.color(r.tone) : undefined}
          >
            {`${isSel ? theme.pointer : ' '}${line(r.cells)}`}
          </Text>
        );
      })}
    </Box>
  );
}
