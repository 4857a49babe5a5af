/**
 * Colours and glyphs of the whole UI. Every state that has a colour also has a glyph or a word, so
 * the screens read the same with `NO_COLOR` / `FORCE_COLOR=0` and for colour-blind users.
 */
import { createContext, useContext } from 'react';

export type Tone = 'accent' | 'muted' | 'good' | 'warn' | 'bad' | 'info' | 'selected';

export interface Theme {
  readonly noColor: boolean;
  /** The Ink colour for a tone, or `undefined` when colours are off. */
  color(tone: Tone): string | undefined;
  /** Marker of the selected row (a glyph, so selection shows without colour). */
  readonly pointer: string;
}

const TONES: Record<Tone, string> = {
  accent: 'cyan',
  muted: 'gray',
  good: 'green',
  warn: 'yellow',
  bad: 'red',
  info: 'blue',
  selected: 'cyanBright',
};

export function createTheme(noColor: boolean): Theme {
  return {
    noColor,
    color: (tone) => (noColor ? undefined : TONES[tone]),
    pointer: '›',
  };
}

export const ThemeContext = createContext<Theme>(createTheme(false));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
