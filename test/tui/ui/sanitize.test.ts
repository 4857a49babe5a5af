import { describe, expect, it } from 'vitest';
import { sanitizeText } from '../../../tui/src/ui/sanitize.ts';

describe('sanitizer for client-supplied names', () => {
  it('given a hostname holding a clear-screen sequence, prints it as visible text', () => {
    const out = sanitizeText('pc\x1b[2J01');
    expect(out).toBe('pc\\x1b[2J01');
    expect(out.includes('\x1b')).toBe(false);
  });
  it('escapes every C0/C1 control and DEL, keeps ordinary and wide text', () => {
    expect(sanitizeText('a\tb\nc\x7f\x9b')).toBe('a\\x09b\\x0ac\\x7f\\x9b');
    expect(sanitizeText('ordinateur-é-日本')).toBe('ordinateur-é-日本');
  });
  it('shows bidi overrides and zero-width characters', () => {
    expect(sanitizeText('abc\u202egnp.exe')).toBe('abc\\u{202e}gnp.exe');
    expect(sanitizeText('a\u200bb')).toBe('a\\u{200b}b');
  });
  it('prints nothing for null', () => {
    expect(sanitizeText(null)).toBe('');
  });
});
