import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { BlockMap } from '../../../tui/src/block-map/block-map.tsx';
import { blockMapReducer, initialBlockMap } from '../../../tui/src/block-map/use-block-map-state.ts';
import { createTheme, ThemeContext } from '../../../tui/src/ui/theme.ts';

describe('<BlockMap>', () => {
  it('draws one glyph per cell and a legend with counts, readable without colour', () => {
    let s = initialBlockMap(12);
    s = blockMapReducer(s, {
      type: 'blocks',
      updates: [
        { index: 0, state: 'written' },
        { index: 1, state: 'verified' },
        { index: 2, state: 'skipped' },
        { index: 3, state: 'transferring' },
        { index: 4, state: 'failed' },
      ],
    });
    const { lastFrame, unmount } = render(
      <ThemeContext.Provider value={createTheme(true)}>
        <BlockMap state={s} width={6} height={14} />
      </ThemeContext.Provider>,
    );
    const lines = (lastFrame() ?? '').split('\n');
    expect(lines[0]).toBe('+#->X.');
    expect(lines[1]).toBe('......');
    const flat = (lastFrame() ?? '').replace(/\n/g, '');
    expect(flat).toMatch(/pend\w* 7/);
    expect(flat).toMatch(/fail\w* 1/);
    expect((lastFrame() ?? '').includes('\x1b[')).toBe(false); // no colour codes with NO_COLOR
    unmount();
  });

  it('in an 80-column area, no line is wider than 80 columns', () => {
    const s = blockMapReducer(initialBlockMap(50_000), {
      type: 'counters',
      blocksDone: 20_000,
      blocksTotal: 50_000,
    });
    const { lastFrame, unmount } = render(<BlockMap state={s} width={80} height={12} />);
    const lines = (lastFrame() ?? '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(13);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
    unmount();
  });
});
