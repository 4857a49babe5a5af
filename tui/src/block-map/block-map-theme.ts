import type { BlockState } from './use-block-map-state.ts';

/** Glyph and colour of each block state: the glyph alone must tell the states apart (NO_COLOR). */
export const BLOCK_STYLE: Record<BlockState, { glyph: string; color: string; label: string; short: string }> =
  {
    pending: { glyph: '.', color: 'gray', label: 'pending', short: 'pend' },
    skipped: { glyph: '-', color: 'blue', label: 'skipped', short: 'skip' },
    transferring: { glyph: '>', color: 'yellow', label: 'transferring', short: 'xfer' },
    written: { glyph: '+', color: 'green', label: 'written', short: 'wrt' },
    verified: { glyph: '#', color: 'greenBright', label: 'verified', short: 'ver' },
    failed: { glyph: 'X', color: 'red', label: 'failed', short: 'fail' },
  };
