/**
 * Free-text fields (descriptions) shared by every inventory domain: bounded, and free of NUL and other
 * control characters, which PostgreSQL refuses in text (NUL) or which garble terminals (escapes).
 * Newlines and tabs stay allowed.
 */
export const DESCRIPTION_MAX_LENGTH = 2000;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function isValidDescription(text: string): boolean {
  return text.length <= DESCRIPTION_MAX_LENGTH && !FORBIDDEN_CONTROL.test(text);
}
