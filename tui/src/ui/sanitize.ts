/**
 * Names sent by clients (hostnames, disk models, image descriptions) are untrusted: an escape
 * sequence in a hostname must never clear the admin's screen or move the cursor. They are drawn as
 * visible text: C0/C1 controls and DEL as `\xNN`, bidirectional overrides and invisible format
 * characters as `\u{XXXX}`.
 */

// C0 controls, DEL, C1 controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// Bidi embeddings/overrides/isolates, zero-width and other invisible format characters, BOM.
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

function hex(ch: string, digits: number): string {
  return (ch.codePointAt(0) ?? 0).toString(16).padStart(digits, '0');
}

/** Returns the text with every control or invisible character replaced by a visible escape. */
export function sanitizeText(text: string | null | undefined): string {
  if (text === null || text === undefined) return '';
  return String(text)
    .replace(CONTROL, (ch) => `\\x${hex(ch, 2)}`)
    .replace(INVISIBLE, (ch) => `\\u{${hex(ch, 4)}}`);
}
