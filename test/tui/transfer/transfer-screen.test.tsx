import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { TransferScreen } from '../../../tui/src/transfer/transfer-screen.tsx';
import { initialTransfer, transferReducer } from '../../../tui/src/transfer/use-transfer-state.ts';
import { createTheme, ThemeContext } from '../../../tui/src/ui/theme.ts';

function midway() {
  let s = initialTransfer('Deploy win11 → /dev/sda', 0);
  const counters = (done: number) => ({
    blocksDone: done * 5,
    blocksTotal: 5000,
    bytesDone: done * 30 * 1024 * 1024,
    bytesTotal: 1000 * 30 * 1024 * 1024,
    phase: 'writing',
    partition: 'p2 (ntfs)',
  });
  s = transferReducer(s, { type: 'progress', counters: counters(0), atMs: 0 });
  s = transferReducer(s, { type: 'progress', counters: counters(423), atMs: 60_000 });
  return s;
}

describe('transfer screen', () => {
  it('shows partition, phase, percent, IEC bytes, rate, elapsed, ETA and the block map in 80x24', () => {
    const { lastFrame, unmount } = render(
      <ThemeContext.Provider value={createTheme(true)}>
        <TransferScreen state={midway()} width={80} height={24} />
      </ThemeContext.Provider>,
    );
    const frame = lastFrame() ?? '';
    expect(frame).toContain('p2 (ntfs)');
    expect(frame).toContain('writing');
    expect(frame).toContain('42.3%');
    expect(frame).toContain('12.4 GiB / 29.3 GiB');
    expect(frame).toMatch(/\d+ MiB\/s/);
    expect(frame).toContain('Elapsed 1m00s');
    expect(frame).toMatch(/ETA 1m2\ds/);
    expect(frame).toContain('+'); // written cells
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
    unmount();
  });

  it('uses a bigger terminal for a finer block map', () => {
    const small = render(<TransferScreen state={midway()} width={80} height={24} />);
    const big = render(<TransferScreen state={midway()} width={160} height={50} />);
    const cells = (f: string) => (f.match(/[.+>]/g) ?? []).length;
    expect(cells(big.lastFrame() ?? '')).toBeGreaterThan(cells(small.lastFrame() ?? ''));
    small.unmount();
    big.unmount();
  });

  it('when finished, says so and the ETA is zero', () => {
    const s = transferReducer(midway(), { type: 'finished', outcome: 'complete', atMs: 61_000 });
    const { lastFrame, unmount } = render(<TransferScreen state={s} width={80} height={24} />);
    expect(lastFrame()).toContain('✓ complete');
    expect(lastFrame()).toContain('ETA 0s');
    unmount();
  });
});
