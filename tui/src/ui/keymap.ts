/**
 * One keymap per face: the key handlers look commands up here and the `?` help is generated from
 * it, so the help can never disagree with the keys.
 */
import type { Key } from 'ink';

export interface KeyBinding<C extends string> {
  /** Printable keys (`'h'`) or named keys (`'escape'`, `'return'`, `'up'`, `'down'`, `'tab'`). */
  readonly keys: readonly string[];
  readonly command: C;
  /** Short text for the help screen. */
  readonly help: string;
  /** Where the binding applies; `'global'` everywhere. */
  readonly scope: string;
}

export type Keymap<C extends string> = readonly KeyBinding<C>[];

const NAMED: readonly (keyof Key)[] = [
  'escape',
  'return',
  'upArrow',
  'downArrow',
  'leftArrow',
  'rightArrow',
  'tab',
  'pageUp',
  'pageDown',
  'delete',
  'backspace',
];
const NAME_OF: Partial<Record<keyof Key, string>> = {
  upArrow: 'up',
  downArrow: 'down',
  leftArrow: 'left',
  rightArrow: 'right',
  pageUp: 'pageup',
  pageDown: 'pagedown',
};

/** The key's name in keymap terms: a named key, or the typed character. */
export function keyName(input: string, key: Key): string {
  for (const n of NAMED) if (key[n] === true) return NAME_OF[n] ?? n;
  return input;
}

/** Finds the command bound to this key in one of the given scopes (first scope wins). */
export function lookupCommand<C extends string>(
  keymap: Keymap<C>,
  input: string,
  key: Key,
  scopes: readonly string[],
): C | undefined {
  const name = keyName(input, key);
  for (const scope of scopes) {
    const hit = keymap.find((b) => b.scope === scope && b.keys.includes(name));
    if (hit) return hit.command;
  }
  return undefined;
}

/** Help rows grouped by scope, in keymap order: `[scope, [["h", "hosts"], ...]]`. */
export function helpSections<C extends string>(keymap: Keymap<C>): [string, [string, string][]][] {
  const sections = new Map<string, [string, string][]>();
  for (const b of keymap) {
    const rows = sections.get(b.scope) ?? [];
    rows.push([b.keys.map(displayKey).join('/'), b.help]);
    sections.set(b.scope, rows);
  }
  return [...sections.entries()];
}

function displayKey(k: string): string {
  const map: Record<string, string> = {
    escape: 'Esc',
    return: 'Enter',
    up: '↑',
    down: '↓',
    tab: 'Tab',
    ' ': 'Space',
  };
  return map[k] ?? k;
}
