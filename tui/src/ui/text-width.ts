/**
 * Column arithmetic through `string-width` (wide CJK, emoji, combining marks), never `.length`.
 */
import stringWidth from 'string-width';

export { stringWidth };

/** Cuts `text` to at most `width` columns, ending with `…` when something was cut. */
export function truncateToWidth(text: string, width: number): string {
  if (width <= 0) return '';
  if (stringWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = stringWidth(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

/** Pads (or truncates) `text` to exactly `width` columns. */
export function padToWidth(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncateToWidth(text, width);
  const fill = ' '.repeat(Math.max(0, width - stringWidth(cut)));
  return align === 'left' ? cut + fill : fill + cut;
}
