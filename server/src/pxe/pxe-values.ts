/**
 * Value rules for everything that ends up in a dnsmasq configuration line or an iPXE script. Each
 * accepts only a narrow alphabet, so no accepted value can carry a newline, a comment, a quote or a
 * second option into the generated text.
 */

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no slash, no space. */
export const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** Dotted-quad IPv4 without leading zeros (which some parsers read as octal). */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: string): boolean {
  return IPV4.test(value);
}

export function ipv4ToInt(value: string): number {
  return value.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** A netmask is a run of ones then zeros: 255.255.255.0 yes, 255.0.255.0 no. */
export function isNetmask(value: string): boolean {
  if (!isIpv4(value)) return false;
  const bits = ipv4ToInt(value).toString(2).padStart(32, '0');
  return /^1+0*$/.test(bits);
}

export function networkOf(address: string, netmask: string): string {
  const a = ipv4ToInt(address);
  const m = ipv4ToInt(netmask);
  // Bitwise ops are signed 32-bit in JS; `>>> 0` brings the result back to unsigned.
  return intToIpv4((a & m) >>> 0);
}

export function sameSubnet(a: string, b: string, netmask: string): boolean {
  return networkOf(a, netmask) === networkOf(b, netmask);
}

/** dnsmasq lease times: `45m`, `12h`, `2d`, `3600`, or `infinite`. */
export const LEASE_TIME = /^(infinite|[1-9]\d{0,6}[smhdw]?)$/;

/**
 * An http(s) URL safe to place in a dnsmasq `dhcp-boot` line and an iPXE `kernel` line: no spaces,
 * quotes, commas (dnsmasq's field separator), `#` (comments), `$`/`{}` (iPXE expansion), backslash or
 * control characters.
 */
const SAFE_URL = /^https?:\/\/[A-Za-z0-9.\-[\]:]+(:\d{1,5})?(\/[A-Za-z0-9._~%/=&?+@:-]*)?$/;

export function isSafeUrl(value: string): boolean {
  return value.length <= 512 && SAFE_URL.test(value);
}

/** One extra kernel argument: `quiet`, `console=ttyS0,115200`, `brume.debug=1`. */
export const KERNEL_ARG = /^[A-Za-z0-9._-]+(=[A-Za-z0-9._,:/+-]*)?$/;

/** An absolute path with an ordinary alphabet (for the TFTP root and tool paths). */
export const SAFE_ABSOLUTE_PATH = /^\/[A-Za-z0-9._/+-]{0,255}$/;

/** A Unix user name for dnsmasq to drop privileges to. */
export const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
