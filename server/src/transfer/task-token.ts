/**
 * Task tokens: `brt_<task uuid>_<secret>`. Only sha256(token) is kept, inside the task's lease
 * holder (`client <mac> sha256:<hex>`), so a token is bound to one task and one MAC and dies with
 * the lease (task ended, expired, or replaced by a new check-in). Pure functions, no I/O.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN = /^brt_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const HOLDER = /^client ([0-9a-f]{2}(?::[0-9a-f]{2}){5}) sha256:([0-9a-f]{64})$/;

/** Lifetime of a token and of the lease it rides on. */
export const TOKEN_TTL_MS = 120_000;

export interface IssuedToken {
  readonly token: string;
  readonly holder: string;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function issueToken(taskId: string, mac: string): IssuedToken {
  const token = `brt_${taskId}_${randomBytes(32).toString('base64url')}`;
  return { token, holder: `client ${mac} sha256:${tokenDigest(token)}` };
}

/** The task id a well-formed token names, or null. */
export function taskIdOfToken(token: string): string | null {
  return TOKEN.exec(token)?.[1] ?? null;
}

export interface ParsedHolder {
  readonly mac: string;
  readonly digest: string;
}

export function parseHolder(holder: string | null): ParsedHolder | null {
  const m = holder === null ? null : HOLDER.exec(holder);
  return m ? { mac: m[1] as string, digest: m[2] as string } : null;
}

export function digestMatches(token: string, digest: string): boolean {
  return timingSafeEqual(Buffer.from(tokenDigest(token), 'hex'), Buffer.from(digest, 'hex'));
}

/** Why a token does not open its task, or null when it does. */
export type TokenVerdict = 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_WRONG_MAC' | 'TASK_ENDED' | null;

export interface TokenCheckInput {
  readonly token: string;
  readonly mac: string;
  readonly taskActive: boolean;
  readonly holder: string | null;
  readonly expiresAt: Date | null;
  readonly now: Date;
}

/** The one rule: ended beats everything; then the digest, then the MAC, then the expiry. */
export function checkToken(input: TokenCheckInput): TokenVerdict {
  if (!input.taskActive) return 'TASK_ENDED';
  const holder = parseHolder(input.holder);
  if (holder === null || !digestMatches(input.token, holder.digest)) return 'TOKEN_INVALID';
  if (holder.mac !== input.mac) return 'TOKEN_WRONG_MAC';
  if (input.expiresAt === null || input.expiresAt.getTime() <= input.now.getTime()) return 'TOKEN_EXPIRED';
  return null;
}
