/**
 * MAC address rules: one canonical spelling (`52:54:00:ab:cd:ef`) so a MAC typed with dashes, Cisco
 * dots or upper case finds the same host as the one the boot chain reports.
 */

/** The four spellings accepted: colon or dash pairs, Cisco dot-grouped quads, or 12 bare hex digits. */
const PAIRS =
  /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i;
const QUADS = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i;
const BARE = /^[0-9a-f]{12}$/i;

export type MacRejection = 'MALFORMED' | 'MULTICAST' | 'BROADCAST' | 'ZERO';

export type MacParseResult = { ok: true; mac: string } | { ok: false; reason: MacRejection };

function toHexDigits(input: string): string | undefined {
  // A MAC is at most 17 characters; refusing long input early keeps regexes cheap on 1 MB strings.
  if (input.length > 17) return undefined;
  const pairs = PAIRS.exec(input);
  if (pairs) return [1, 3, 4, 5, 6, 7].map((i) => pairs[i]).join('');
  const quads = QUADS.exec(input);
  if (quads) return quads.slice(1, 4).join('');
  if (BARE.test(input)) return input;
  return undefined;
}

/**
 * Parses and normalizes a MAC. Refuses what can never identify one network card: broadcast, the
 * all-zero address and group (multicast) addresses, whose first octet has its lowest bit set.
 */
export function parseMac(input: string): MacParseResult {
  const hex = toHexDigits(input.trim())?.toLowerCase();
  if (hex === undefined) return { ok: false, reason: 'MALFORMED' };
  if (hex === 'ffffffffffff') return { ok: false, reason: 'BROADCAST' };
  if (hex === '000000000000') return { ok: false, reason: 'ZERO' };
  if ((Number.parseInt(hex.slice(0, 2), 16) & 1) === 1) return { ok: false, reason: 'MULTICAST' };
  return { ok: true, mac: hex.match(/../g)!.join(':') };
}

/** Normalizes a MAC or returns undefined: for look-ups where a bad MAC simply matches nothing. */
export function normalizeMac(input: string): string | undefined {
  const result = parseMac(input);
  return result.ok ? result.mac : undefined;
}
