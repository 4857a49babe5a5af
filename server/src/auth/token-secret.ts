import { createHash, randomBytes } from 'node:crypto';

const tokenPrefix = 'brume_';

export interface IssuedSecret {
  /** Shown once to the caller, never stored. */
  readonly token: string;
  /** sha256 hex of the token: the only form at rest. */
  readonly secretHash: string;
  /** Safe to display and log: identifies the token in lists. */
  readonly prefix: string;
}

export const hashTokenSecret = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A fresh random 32-byte bearer token. */
export function issueTokenSecret(): IssuedSecret {
  const token = `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
  return { token, secretHash: hashTokenSecret(token), prefix: token.slice(0, tokenPrefix.length + 8) };
}

/** Cheap shape check before touching the database: refuses junk and oversized headers. */
export const looksLikeToken = (token: string): boolean => /^brume_[A-Za-z0-9_-]{43}$/.test(token);

/** `Bearer <token>` → token, or null. */
export function parseBearer(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}
