import { describe, expect, it } from 'vitest';
import { isValidDescription } from '../../../server/src/hosts/description-rule.ts';
import { isValidHostName } from '../../../server/src/hosts/host-name.ts';

describe('host name rules (NetBIOS-safe, as FOG)', () => {
  it.each(['a', 'PC-01', 'lab2-pc-015', 'A23456789012345', '7'])('accepts %j', (name) => {
    expect(isValidHostName(name)).toBe(true);
  });

  it.each([
    '',
    'A234567890123456',
    '-pc',
    'pc-',
    'pc_01',
    'pc.lab',
    'pc 01',
    'x; touch /tmp/pwned',
    '$(id)',
    '`id`',
    'a|b',
    '../../etc',
    '/abs',
    'a\u0000b',
    'ｐｃ',
    'pé',
    'x'.repeat(300),
  ])('refuses %j', (name) => {
    expect(isValidHostName(name)).toBe(false);
  });
});

describe('description rules', () => {
  it('accepts text with newlines, tabs, quotes and Unicode', () => {
    expect(isValidDescription('Salle 12\n\t"poste prof" — ok; --')).toBe(true);
  });
  it.each(['a\u0000b', '\u001b[2J', 'x'.repeat(2001)])('refuses %j', (text) => {
    expect(isValidDescription(text)).toBe(false);
  });
});
