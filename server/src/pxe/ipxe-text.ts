/**
 * Making untrusted text safe inside an iPXE script line, and reading the few values a booting
 * machine sends us. iPXE expands `${...}` before it splits a line, treats `||` and `&&` as
 * operators and a leading `#` or `:` specially, so a host name like `x || shell` or `${password}`
 * must never reach an `echo`, `item` or `menu` line as written.
 */

const DISPLAY_MAX = 64;

/**
 * Keeps printable ASCII from a small set (letters, digits, space, `._,:()/@+=-`), replaces
 * anything else with `?`, collapses whitespace and caps the length. No `$`, braces, quotes,
 * backslash, `|`, `&`, `#`, `;` or control character survives.
 */
export function ipxeDisplayText(value: string, max = DISPLAY_MAX): string {
  const cleaned = Array.from(value)
    .map((ch) => (/^[A-Za-z0-9 ._,:()/@+=-]$/.test(ch) ? ch : /^\s$/.test(ch) ? ' ' : '?'))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
  const capped = cleaned.length > max ? `${cleaned.slice(0, max - 3)}...` : cleaned;
  return capped === '' ? '?' : capped;
}

/** The MAC as iPXE prints `${netX/mac}`: six colon (or dash) pairs; normalized lowercase. */
export function parseBootMac(value: string | null): string | null {
  if (value === null || value.length > 17) return null;
  if (!/^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(value)) return null;
  const mac = value.toLowerCase().replaceAll('-', ':');
  if (mac === 'ff:ff:ff:ff:ff:ff' || mac === '00:00:00:00:00:00') return null;
  // A group (multicast) address never names one network card.
  if ((Number.parseInt(mac.slice(0, 2), 16) & 1) === 1) return null;
  return mac;
}

/** `${buildarch}`/`${platform}` values: i386, x86_64, arm64, pcbios, efi. */
export function parseToken(value: string | null, max = 16): string | null {
  return value !== null && value.length <= max && /^[A-Za-z0-9_]+$/.test(value) ? value : null;
}

/** SMBIOS UUID as iPXE prints `${uuid}`. */
export function parseUuid(value: string | null): string | null {
  return value !== null && /^[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$/.test(value)
    ? value.toLowerCase()
    : null;
}

/** Opaque ids we put back into scripts (image ids): never anything iPXE could interpret. */
export function parseOpaqueId(value: string | null): string | null {
  return value !== null && /^[A-Za-z0-9_-]{1,64}$/.test(value) ? value : null;
}
