/**
 * How the disk fits the screen: each cell of the grid stands for a run of consecutive blocks; the
 * run length grows when the disk has more blocks than the area has cells, so a bigger terminal
 * shows finer detail.
 */
import { BLOCK_STATES, type BlockMapState, type BlockState } from './use-block-map-state.ts';

export interface BlockMapLayout {
  /** Cells per row. */
  readonly columns: number;
  /** Rows actually used. */
  readonly rows: number;
  /** Blocks drawn by one cell (the last cell may hold fewer). */
  readonly blocksPerCell: number;
  readonly cells: number;
}

/** Fits `blocksTotal` blocks in at most `width` x `height` cells. */
export function layoutBlockMap(blocksTotal: number, width: number, height: number): BlockMapLayout {
  const w = Math.max(1, Math.floor(width));
  const h = Math.max(1, Math.floor(height));
  if (blocksTotal <= 0) return { columns: w, rows: 0, blocksPerCell: 1, cells: 0 };
  const blocksPerCell = Math.max(1, Math.ceil(blocksTotal / (w * h)));
  const cells = Math.ceil(blocksTotal / blocksPerCell);
  const columns = Math.min(w, cells);
  return { columns, rows: Math.ceil(cells / columns), blocksPerCell, cells };
}

/**
 * A cell's state from its blocks: a failure shows first, then work in flight; a cell whose blocks
 * are all finished shows the weakest finished state (verified only when every block is verified).
 */
export function aggregateCell(counts: Record<BlockState, number>, size: number): BlockState {
  if (counts.failed > 0) return 'failed';
  if (counts.transferring > 0) return 'transferring';
  if (counts.pending === size) return 'pending';
  if (counts.pending > 0) return 'transferring';
  if (counts.skipped === size) return 'skipped';
  if (counts.verified + counts.skipped === size && counts.verified > 0) return 'verified';
  return 'written';
}

/** The state of every cell, in disk order. */
export function cellStates(state: BlockMapState, layout: BlockMapLayout): BlockState[] {
  const out: BlockState[] = [];
  for (let c = 0; c < layout.cells; c++) {
    const start = c * layout.blocksPerCell;
    const end = Math.min(state.blocksTotal, start + layout.blocksPerCell);
    const counts: Record<BlockState, number> = {
      pending: 0,
      skipped: 0,
      transferring: 0,
      written: 0,
      verified: 0,
      failed: 0,
    };
    for (let i = start; i < end; i++) counts[BLOCK_STATES[state.blocks[i] ?? 0] ?? 'pending'] += 1;
    out.push(aggregateCell(counts, end - start));
  }
  return out;
}
