import { describe, expect, it } from 'vitest';
import { aggregateCell, cellStates, layoutBlockMap } from '../../../tui/src/block-map/block-map-layout.ts';
import { blockMapReducer, initialBlockMap, stateAt } from '../../../tui/src/block-map/use-block-map-state.ts';

describe('block map reducer', () => {
  it('given a fresh disk of 10 blocks, every block is pending', () => {
    const s = initialBlockMap(10);
    expect(s.counts.pending).toBe(10);
    expect(stateAt(s, 3)).toBe('pending');
  });

  it('when per-block events arrive, the block and the counts change', () => {
    let s = initialBlockMap(10);
    s = blockMapReducer(s, { type: 'block', index: 2, state: 'transferring' });
    s = blockMapReducer(s, { type: 'block', index: 2, state: 'written' });
    s = blockMapReducer(s, {
      type: 'blocks',
      updates: [
        { index: 3, state: 'skipped' },
        { index: 4, state: 'failed' },
      ],
    });
    expect([stateAt(s, 2), stateAt(s, 3), stateAt(s, 4)]).toEqual(['written', 'skipped', 'failed']);
    expect(s.counts).toEqual({ pending: 7, skipped: 1, transferring: 0, written: 1, verified: 0, failed: 1 });
  });

  it('given per-block events before the first counters, they are kept and shown once the size is known', () => {
    // The agent may report block 1 written before its first cumulative counters size the map
    let s = initialBlockMap(0);
    s = blockMapReducer(s, { type: 'block', index: 1, state: 'written' });
    s = blockMapReducer(s, { type: 'counters', blocksDone: 2, blocksTotal: 5 });
    s = blockMapReducer(s, { type: 'block', index: 0, state: 'written' });
    expect([0, 1, 2, 3, 4].map((i) => stateAt(s, i))).toEqual([
      'written',
      'written',
      'pending',
      'pending',
      'pending',
    ]);
    expect(s.counts.transferring).toBe(0);
  });

  it('given a counters-only guess, the first exact event drops its transferring frontier', () => {
    let s = blockMapReducer(initialBlockMap(6), { type: 'counters', blocksDone: 1, blocksTotal: 6 });
    expect(stateAt(s, 1)).toBe('transferring');
    s = blockMapReducer(s, { type: 'block', index: 4, state: 'written' });
    expect(stateAt(s, 1)).toBe('pending');
    expect(s.counts).toMatchObject({ transferring: 0, written: 2, pending: 4 });
  });

  it('ignores out-of-range indexes and returns the same state for a no-op', () => {
    const s = initialBlockMap(4);
    expect(blockMapReducer(s, { type: 'block', index: 9, state: 'written' }).counts.pending).toBe(4);
    const w = blockMapReducer(s, { type: 'block', index: 1, state: 'written' });
    expect(blockMapReducer(w, { type: 'block', index: 1, state: 'written' })).toBe(w);
  });

  it('does not mutate the previous state (pure)', () => {
    const s = initialBlockMap(4);
    blockMapReducer(s, { type: 'block', index: 0, state: 'verified' });
    expect(stateAt(s, 0)).toBe('pending');
  });

  it('given only cumulative counters, fills blocks in order with a transferring frontier', () => {
    const s = blockMapReducer(initialBlockMap(0), { type: 'counters', blocksDone: 3, blocksTotal: 8 });
    expect(s.blocksTotal).toBe(8);
    expect(s.counts.written).toBe(3);
    expect(stateAt(s, 3)).toBe('transferring');
    const done = blockMapReducer(s, { type: 'counters', blocksDone: 8, blocksTotal: 8 });
    expect(done.counts.written).toBe(8);
  });

  it('a late joiner catches up from done ranges [start, end) pairs', () => {
    const s = blockMapReducer(initialBlockMap(10), {
      type: 'ranges',
      ranges: [0, 3, 7, 9],
      state: 'written',
    });
    expect(s.counts.written).toBe(5);
    expect([stateAt(s, 2), stateAt(s, 3), stateAt(s, 8), stateAt(s, 9)]).toEqual([
      'written',
      'pending',
      'written',
      'pending',
    ]);
    expect(s.perBlock).toBe(true);
  });

  it('once per-block events were seen, counters no longer move blocks', () => {
    let s = blockMapReducer(initialBlockMap(8), { type: 'block', index: 7, state: 'written' });
    s = blockMapReducer(s, { type: 'counters', blocksDone: 5, blocksTotal: 8 });
    expect(s.counts.written).toBe(1);
  });
});

describe('block map layout', () => {
  it('one block per cell when the disk is small', () => {
    expect(layoutBlockMap(100, 78, 10)).toEqual({ columns: 78, rows: 2, blocksPerCell: 1, cells: 100 });
  });
  it('groups blocks when the disk has more blocks than cells, and a bigger area shows more detail', () => {
    const small = layoutBlockMap(100_000, 78, 14);
    const big = layoutBlockMap(100_000, 200, 50);
    expect(small.blocksPerCell).toBe(Math.ceil(100_000 / (78 * 14)));
    expect(small.rows).toBeLessThanOrEqual(14);
    expect(big.blocksPerCell).toBeLessThan(small.blocksPerCell);
  });
  it('a cell shows a failure first, then work in flight, then the weakest finished state', () => {
    const z = { pending: 0, skipped: 0, transferring: 0, written: 0, verified: 0, failed: 0 };
    expect(aggregateCell({ ...z, written: 3, failed: 1 }, 4)).toBe('failed');
    expect(aggregateCell({ ...z, written: 3, pending: 1 }, 4)).toBe('transferring');
    expect(aggregateCell({ ...z, verified: 2, skipped: 2 }, 4)).toBe('verified');
    expect(aggregateCell({ ...z, verified: 2, written: 2 }, 4)).toBe('written');
    expect(aggregateCell({ ...z, skipped: 4 }, 4)).toBe('skipped');
    expect(aggregateCell({ ...z, pending: 4 }, 4)).toBe('pending');
  });
  it('cellStates aggregates each run of blocks', () => {
    let s = initialBlockMap(6);
    s = blockMapReducer(s, {
      type: 'blocks',
      updates: [0, 1].map((index) => ({ index, state: 'written' as const })),
    });
    const layout = layoutBlockMap(6, 3, 1); // 2 blocks per cell
    expect(cellStates(s, layout)).toEqual(['written', 'pending', 'pending']);
  });
});
