/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import { BlockMap } from '../block-map/block-map.tsx';
import { formatBytes, formatDuration, formatPercent, formatRate, percentOf } from '../ui/format.ts';
import { sanitizeText } from '../ui/sanitize.ts';
import { truncateToWidth } from '../ui/text-width.ts';
import { useTheme } from '../ui/theme.ts';
import { displayEta, displayRate, elapsedSeconds, type TransferState } from './use-transfer-state.ts';

export interface TransferScreenProps {
  readonly state: TransferState;
  /** Columns to use (the terminal width, at least 80). */
  readonly width: number;
  /** Rows to use (the terminal height, at least 24); the block map takes what is left. */
  readonly height: number;
}

/** Rows the screen uses besides the block map grid (borders, title, partition, bar, two stat lines, one spare). */
export const TRANSFER_CHROME_ROWS = 8;

/** A bar of `width` columns: `#` done, `-` left, so it reads without colour. */
export function progressBar(percent: number, width: number): string {
  const done = Math.round((Math.min(100, Math.max(0, percent)) / 100) * width);
  return '#'.repeat(done) + '-'.repeat(Math.max(0, width - done));
}

const OUTCOME_TEXT = {
  running: 'running',
  complete: '✓ complete',
  failed: '✗ failed',
  cancelled: '✗ cancelled',
};

/** The transfer screen: what partclone shows, plus the live block map. */
export function TransferScreen({ state, width, height }: TransferScreenProps) {
  const theme = useTheme();
  const c = state.counters;
  const pct = percentOf(
    c.bytesTotal > 0 ? c.bytesDone : c.blocksDone,
    c.bytesTotal > 0 ? c.bytesTotal : c.blocksTotal,
  );
  const inner = width - 2;
  const tone = state.outcome === 'running' ? 'accent' : state.outcome === 'complete' ? 'good' : 'bad';
  const stats = `${pct.toFixed(1)}%  ${formatBytes(c.bytesDone)} / ${formatBytes(c.bytesTotal)}  ${formatRate(displayRate(state))}`;
  const times = `Elapsed ${formatDuration(elapsedSeconds(state))}  ETA ${formatDuration(displayEta(state))}  Blocks ${c.blocksDone}/${c.blocksTotal}`;
  return (
    <Box flexDirection="column" width={width} borderStyle="round" borderColor={theme.color(tone)}>
      <Text bold wrap="truncate">
        {truncateToWidth(sanitizeText(state.title), inner)}
      </Text>
      <Text wrap="truncate">
        {truncateToWidth(
          `Partition ${sanitizeText(String(c.partition ?? '—'))}  Phase ${sanitizeText(c.phase ?? '—')}  ${OUTCOME_TEXT[state.outcome]}`,
          inner,
        )}
      </Text>
      <Text wrap="truncate">
        <Text color={theme.color(tone)}>{progressBar(pct, inner - 8)}</Text>
        {` ${formatPercent(pct, 100).padStart(6)}`}
      </Text>
      <Text wrap="truncate">{truncateToWidth(stats, inner)}</Text>
      <Text wrap="truncate">{truncateToWidth(times, inner)}</Text>
      {state.message !== null && (
        <Text color={theme.color(state.outcome === 'failed' ? 'bad' : 'muted')} wrap="truncate">
          {truncateToWidth(sanitizeText(state.message), inner)}
        </Text>
      )}
      <BlockMap
        state={state.map}
        width={inner}
        height={Math.max(1, height - TRANSFER_CHROME_ROWS - (state.message === null ? 0 : 1))}
      />
    </Box>
  );
}
