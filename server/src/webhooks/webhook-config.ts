/**
 * The webhooks section of the configuration: the waits between delivery attempts
 * (`BRUME_WEBHOOK_RETRY_SECONDS`, a comma list; WEBHOOKS.md "Retries").
 */
import { z } from 'zod';

const DEFAULT_RETRIES = '10,30,120,600,1800,3600,10800,21600';

export const webhookSection = z
  .object({ BRUME_WEBHOOK_RETRY_SECONDS: z.string().trim().default(DEFAULT_RETRIES) })
  .transform((e, ctx): { retryDelaysMs: readonly number[] } => {
    const items = e.BRUME_WEBHOOK_RETRY_SECONDS === '' ? [] : e.BRUME_WEBHOOK_RETRY_SECONDS.split(',');
    const delays = items.map((s) => Number(s.trim()));
    if (delays.length > 20 || delays.some((d) => !Number.isInteger(d) || d < 1 || d > 7 * 86_400)) {
      ctx.addIssue({
        code: 'custom',
        path: ['BRUME_WEBHOOK_RETRY_SECONDS'],
        message: 'a comma list of at most 20 waits in whole seconds (1 to 604800), or empty for no retry',
      });
    }
    return { retryDelaysMs: delays.map((d) => d * 1000) };
  });
