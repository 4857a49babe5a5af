/**
 * `Brume-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (WEBHOOKS.md):
 * the timestamp is signed with the body, so a receiver refusing old `t` refuses replays.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** How far from its clock a receiver accepts `t` (what `verifyWebhookSignature` applies). */
export const SIGNATURE_TOLERANCE_S = 300;

export const newWebhookSecret = (): string => SECRET_PREFIX + randomBytes(32).toString('base64url');

const mac = (secret: string, t: number, body: string) =>
  createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');

export function signWebhook(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${mac(secret, t, body)}`;
}

/** What a receiver does, in Node: true when the header signs this body, recently. */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string,
  now = new Date(),
): boolean {
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1') ?? '';
  if (!Number.isSafeInteger(t) || !/^[0-9a-f]{64}$/.test(given)) return false;
  if (Math.abs(now.getTime() / 1000 - t) > SIGNATURE_TOLERANCE_S) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(mac(secret, t, body), 'hex'));
}
