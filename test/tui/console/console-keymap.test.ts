/**
 * The console keymap's own rules (its header): every pane has a global letter, and no pane reuses
 * one (a pane's binding is looked up first, so it would hide the way to another pane).
 */
import { describe, expect, it } from 'vitest';
import { CONSOLE_KEYMAP } from '../../../tui/src/console/console-keymap.ts';
import { PANES } from '../../../tui/src/console/use-console-state.ts';

const globalKeys = CONSOLE_KEYMAP.filter((b) => b.scope === 'global').flatMap((b) => b.keys);

describe('console keymap', () => {
  it('given the panes, each one has a global key', () => {
    for (const pane of PANES)
      expect(
        CONSOLE_KEYMAP.some((b) => b.scope === 'global' && b.command === `pane-${pane}`),
        pane,
      ).toBe(true);
  });

  it('given the global keys, no pane or list binding reuses one', () => {
    const reused = CONSOLE_KEYMAP.filter((b) => b.scope !== 'global').flatMap((b) =>
      b.keys.filter((k) => globalKeys.includes(k)).map((k) => `${b.scope}: ${k}`),
    );
    expect(reused).toEqual([]);
  });

  it('given one scope, no key is bound twice', () => {
    const seen = new Set<string>();
    const twice: string[] = [];
    for (const b of CONSOLE_KEYMAP)
      for (const k of b.keys) {
        const id = `${b.scope}: ${k}`;
        if (seen.has(id)) twice.push(id);
        seen.add(id);
      }
    expect(twice).toEqual([]);
  });
});
