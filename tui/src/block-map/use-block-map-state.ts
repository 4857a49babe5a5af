/**
 * The block map's state: one byte per block of the disk, fed by per-block events, plus the
 * counters. Pure reducer, tested without a terminal. When the server only sends cumulative counters
 * (no block index), blocks are marked in order up to `blocksDone`: the count is exact even if the
 * position is approximate.
 */
export const BLOCK_STATES = ['pending', 'skipped', 'transferring', 'written', 'verified', 'failed'] as const;
export type BlockState = (typeof BLOCK_STATES)[number];

const CODE: Record<BlockState, number> = {
  pending: 0,
  skipped: 1,
  transferring: 2,
  written: 3,
  verified: 4,
  failed: 5,
};

export interface BlockMapState {
  readonly blocksTotal: number;
  /** State code per block (index into `BLOCK_STATES`). */
  readonly blocks: Uint8Array;
  /** Number of blocks in each state. */
  readonly counts: Readonly<Record<BlockState, number>>;
  /** True once a per-block event arrived: counters then no longer move blocks. */
  readonly perBlock: boolean;
  /** Per-block events that came before the first counters told the map's size (kept, replayed). */
  readonly early?: readonly { index: number; state: BlockState }[];
}

export type BlockMapAction =
  | { type: 'reset'; blocksTotal: number }
  | { type: 'block'; index: number; state: BlockState }
  | { type: 'blocks'; updates: readonly { index: number; state: BlockState }[] }
  | { type: 'counters'; blocksDone: number; blocksTotal: number; doneState?: BlockState }
  /** Finished blocks as flattened half-open `[start, end)` pairs (a late joiner's catch-up). */
  | { type: 'ranges'; ranges: readonly number[]; state: BlockState };

function zeroCounts(): Record<BlockState, number> {
  return { pending: 0, skipped: 0, transferring: 0, written: 0, verified: 0, failed: 0 };
}

export function initialBlockMap(blocksTotal = 0): BlockMapState {
  const total = Math.max(0, Math.floor(blocksTotal));
  return {
    blocksTotal: total,
    blocks: new Uint8Array(total),
    counts: { ...zeroCounts(), pending: total },
    perBlock: false,
  };
}

export function stateAt(s: BlockMapState, index: number): BlockState {
  return BLOCK_STATES[s.blocks[index] ?? 0] ?? 'pending';
}

const MAX_EARLY = 65_536;

/**
 * The first exact per-block event makes the counters' guess moot: its in-order "transferring"
 * frontier is dropped (it would stay lit when the real events name other blocks).
 */
function dropGuessedFrontier(s: BlockMapState): BlockMapState {
  if (s.perBlock) return s;
  const at = s.blocks.indexOf(CODE.transferring);
  if (at < 0) return s;
  const blocks = s.blocks.slice();
  blocks[at] = CODE.pending;
  const counts = { ...s.counts, transferring: s.counts.transferring - 1, pending: s.counts.pending + 1 };
  return { ...s, blocks, counts };
}

function applyUpdates(
  given: BlockMapState,
  updates: readonly { index: number; state: BlockState }[],
  perBlock: boolean,
): BlockMapState {
  if (perBlock && given.blocksTotal === 0 && updates.length > 0) {
    return { ...given, early: [...(given.early ?? []), ...updates].slice(-MAX_EARLY) };
  }
  const s = perBlock ? dropGuessedFrontier(given) : given;
  let blocks: Uint8Array | null = null;
  const counts = { ...s.counts };
  for (const u of updates) {
    if (!Number.isInteger(u.index) || u.index < 0 || u.index >= s.blocksTotal) continue;
    const before = s.blocks[u.index] ?? 0;
    const after = CODE[u.state];
    if ((blocks ?? s.blocks)[u.index] === after) continue;
    blocks ??= s.blocks.slice();
    const previous = BLOCK_STATES[blocks[u.index] ?? before] ?? 'pending';
    blocks[u.index] = after;
    counts[previous] -= 1;
    counts[u.state] += 1;
  }
  if (blocks === null) return perBlock && !s.perBlock ? { ...s, perBlock } : s;
  return { ...s, blocks, counts, perBlock: s.perBlock || perBlock };
}

/** Counter-only servers: mark blocks in order so the map fills like a partclone bar. */
function fillFromCounters(s: BlockMapState, done: number, doneState: BlockState): BlockMapState {
  const target = Math.min(s.blocksTotal, Math.max(0, Math.floor(done)));
  const updates: { index: number; state: BlockState }[] = [];
  for (let i = 0; i < s.blocksTotal && updates.length + countDone(s) < target; i++) {
    if (s.blocks[i] === CODE.pending || s.blocks[i] === CODE.transferring)
      updates.push({ index: i, state: doneState });
  }
  const next = applyUpdates(s, updates, false);
  const frontier = next.blocks.indexOf(CODE.pending);
  if (frontier >= 0 && target < s.blocksTotal && target > 0) {
    return applyUpdates(next, [{ index: frontier, state: 'transferring' }], false);
  }
  return next;
}

function countDone(s: BlockMapState): number {
  return s.counts.skipped + s.counts.written + s.counts.verified + s.counts.failed;
}

export function blockMapReducer(s: BlockMapState, a: BlockMapAction): BlockMapState {
  switch (a.type) {
    case 'reset':
      return initialBlockMap(a.blocksTotal);
    case 'block':
      return applyUpdates(s, [a], true);
    case 'blocks':
      return applyUpdates(s, a.updates, true);
    case 'ranges': {
      const updates: { index: number; state: BlockState }[] = [];
      for (let r = 0; r + 1 < a.ranges.length; r += 2) {
        const end = Math.min(s.blocksTotal, a.ranges[r + 1] ?? 0);
        for (let i = Math.max(0, a.ranges[r] ?? 0); i < end; i++) {
          const code = s.blocks[i];
          if (code === CODE.pending || code === CODE.transferring) updates.push({ index: i, state: a.state });
        }
      }
      return applyUpdates(s, updates, true);
    }
    case 'counters': {
      let sized = s;
      if (a.blocksTotal !== s.blocksTotal && a.blocksTotal > 0) {
        sized = initialBlockMap(a.blocksTotal);
        if (s.early) sized = applyUpdates(sized, s.early, true);
      }
      if (sized.perBlock) return sized;
      return fillFromCounters(sized, a.blocksDone, a.doneState ?? 'written');
    }
  }
}
