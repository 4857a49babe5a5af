import { isValidImageName } from '../images/image-name.ts';

/** Node names follow the image-name rule: they may name folders and appear in logs, never paths. */
export const isValidStorageNodeName = isValidImageName;

/**
 * A node's base URL: http(s) only, a host, no credentials (FOG kept storage passwords in plain
 * text; our nodes authenticate with tokens), no query or fragment. Returns the normalized URL.
 */
export function parseStorageUrl(input: string): string | undefined {
  if (input.length > 512) return undefined;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return undefined;
  }
  const ok =
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.hostname !== '' &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '';
  return ok ? url.toString().replace(/\/$/, '') : undefined;
}

export const MAX_CLIENTS_LIMIT = 1000;

export function isValidMaxClients(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_CLIENTS_LIMIT;
}
