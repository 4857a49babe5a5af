import { describe, expect, it } from 'vitest';
import { normalizeMac, parseMac } from '../../../server/src/hosts/mac-address.ts';

describe('MAC normalization', () => {
  it.each([
    ['52:54:00:ab:cd:ef', '52:54:00:ab:cd:ef'],
    ['52:54:00:AB:CD:EF', '52:54:00:ab:cd:ef'],
    ['52-54-00-ab-cd-ef', '52:54:00:ab:cd:ef'],
    ['5254.00ab.cdef', '52:54:00:ab:cd:ef'],
    ['525400ABCDEF', '52:54:00:ab:cd:ef'],
    ['  52:54:00:ab:cd:ef ', '52:54:00:ab:cd:ef'],
  ])('Given %j, when parsed, then it is %s', (input, expected) => {
    expect(parseMac(input)).toEqual({ ok: true, mac: expected });
  });

  it.each([
    ['', 'MALFORMED'],
    ['52:54:00:ab:cd', 'MALFORMED'],
    ['52:54:00:ab:cd:ef:01', 'MALFORMED'],
    ['52:54-00:ab:cd:ef', 'MALFORMED'],
    ['52:54:00:ab:cd:eg', 'MALFORMED'],
    ['5254.00ab.cdef.', 'MALFORMED'],
    ["52:54:00:ab:cd:ef'; drop table hosts; --", 'MALFORMED'],
    ['52:54:00:ab:cd:ef\u0000', 'MALFORMED'],
    ['ｆｆ:ｆｆ:ｆｆ:ｆｆ:ｆｆ:ｆｆ', 'MALFORMED'],
    ['a'.repeat(1_000_000), 'MALFORMED'],
    ['ff:ff:ff:ff:ff:ff', 'BROADCAST'],
    ['00:00:00:00:00:00', 'ZERO'],
    ['01:00:5e:00:00:01', 'MULTICAST'],
    ['33:33:00:00:00:01', 'MULTICAST'],
  ])('Given %j, when parsed, then it is refused as %s', (input, reason) => {
    expect(parseMac(input)).toEqual({ ok: false, reason });
  });

  it('Given a locally administered unicast MAC (02:...), then it is accepted', () => {
    expect(normalizeMac('02:00:00:00:00:01')).toBe('02:00:00:00:00:01');
  });

  it('Given a bad MAC, normalizeMac returns undefined', () => {
    expect(normalizeMac('nope')).toBeUndefined();
  });
});
