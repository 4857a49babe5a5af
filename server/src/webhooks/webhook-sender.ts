/** One delivery attempt (WEBHOOKS.md "The request"): a signed POST, 2xx in 10 s or a reason. */
import { fetchFailure } from '../app/fetch-failure.ts';
import { signWebhook } from './webhook-signature.ts';

const TIMEOUT_MS = 10_000;
const USER_AGENT = 'brume-webhooks/1';

export interface AttemptResult {
  readonly ok: boolean;
  readonly status: number | null;
  /** Null when delivered; else the status with the start of the answer, or the network error. */
  readonly error: string | null;
}

export async function sendWebhook(
  target: { readonly url: string; readonly secret: string },
  delivery: { readonly id: string; readonly event: string; readonly payload: unknown },
  at: Date,
): Promise<AttemptResult> {
  const body = JSON.stringify(delivery.payload);
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'brume-event': delivery.event,
        'brume-delivery': delivery.id,
        'brume-signature': signWebhook(target.secret, body, at),
      },
      body,
      // The URL is the one the admin set: a redirect elsewhere is a failure, not followed.
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    return { ok: false, status: null, error: fetchFailure(err, TIMEOUT_MS) };
  }
  const text = await res.text().catch(() => '');
  if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null };
  const start = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return { ok: false, status: res.status, error: `HTTP ${res.status}${start ? `: ${start}` : ''}` };
}
