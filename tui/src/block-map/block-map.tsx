/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import { stringWidth } from '../ui/text-width.ts';
import { useTheme } from '../ui/theme.ts';
import { cellStates, layoutBlockMap } from './block-map-layout.ts';
import { BLOCK_STYLE } from './block-map-theme.ts';
import { BLOCK_STATES, type BlockMapState, type BlockState } from './use-block-map-state.ts';

export interface BlockMapProps {
  /** The blocks to draw. */
  readonly state: BlockMapState;
  /** Columns available for the grid (one cell per column). */
  readonly width: number;
  /** Rows available for the grid, legend excluded. */
  readonly height: number;
  /**
   * Show the legend line (glyph, name and count of each state).
   * @default true
   */
  readonly legend?: boolean;
}

/** Consecutive cells of one state drawn as one coloured run (fewer Text nodes per row). */
function runs(cells: BlockState[]): { state: BlockState; length: number }[] {
  const out: { state: BlockState; length: number }[] = [];
  for (const c of cells) {
    const last = out.at(-1);
    if (last && last.state === c) last.length += 1;
    else out.push({ state: c, length: 1 });
  }
  return out;
}

/** The legend's items, long labels when they fit in `width`, short ones otherwise. */
export function legendItems(state: BlockMapState, blocksPerCell: number, width: number) {
  const make = (short: boolean) =>
    BLOCK_STATES.map((s) => ({
      s,
      text: ` ${short ? BLOCK_STYLE[s].short : BLOCK_STYLE[s].label} ${state.counts[s]}  `,
    }));
  const scale = `${blocksPerCell} blk/cell`;
  const size = (items: { text: string }[]) =>
    items.reduce((n, p) => n + 1 + stringWidth(p.text), 0) + stringWidth(scale);
  const long = make(false);
  const items = size(long) <= width ? long : make(true);
  return { items, scale, lines: Math.max(1, Math.ceil(size(items) / Math.max(1, width))) };
}

/** The disk as a grid of cells, each a run of blocks, coloured and marked by state, with a legend. */
export function BlockMap({ state, width, height, legend = true }: BlockMapProps) {
  const theme = useTheme();
  const firstGuess = layoutBlockMap(state.blocksTotal, width, height - 1);
  const legendLines = legend ? legendItems(state, firstGuess.blocksPerCell, width).lines : 0;
  const layout = layoutBlockMap(state.blocksTotal, width, Math.max(1, height - legendLines));
  const cells = cellStates(state, layout);
  const rows: BlockState[][] = [];
  for (let r = 0; r < layout.rows; r++) rows.push(cells.slice(r * layout.columns, (r + 1) * layout.columns));
  return (
    <Box flexDirection="column" width={width}>
      {rows.map((row, r) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional and never reorder
        <Text key={r}>
          {runs(row).map((run, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: runs are positional within a row
            <Text key={i} color={theme.noColor ? undefined : BLOCK_STYLE[run.state].color}>
              {BLOCK_STYLE[run.state].glyph.repeat(run.length)}
            </Text>
          ))}
        </Text>
      ))}
      {legend && <BlockMapLegend state={state} blocksPerCell={layout.blocksPerCell} width={width} />}
    </Box>
  );
}

export interface BlockMapLegendProps {
  readonly state: BlockMapState;
  /** Blocks per cell, shown so the reader knows the map's scale. */
  readonly blocksPerCell: number;
  /** Columns available: short labels are used when the long ones do not fit. */
  readonly width: number;
}

/** Each state's glyph, name and block count, then the cell size; wraps when the area is narrow. */
export function BlockMapLegend({ state, blocksPerCell, width }: BlockMapLegendProps) {
  const theme = useTheme();
  const { items, scale } = legendItems(state, blocksPerCell, width);
  return (
    <Text wrap="wrap">
      {items.map((p) => (
        <Text key={p.s}>
          <Text color={theme.noColor ? undefined : BLOCK_STYLE[p.s].color}>{BLOCK_STYLE[p.s].glyph}</Text>
          {p.text}
        </Text>
      ))}
      <Text color={theme.color('muted')}>{scale}</Text>
    </Text>
  );
}
