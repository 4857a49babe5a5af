/**
 * The storage section of the configuration: the store's scheduled checks. With
 * `BRUME_VERIFY_EVERY_DAYS` > 0, every image's current version whose last completed check
 * (`verifyImageVersion`) is older than that many days is queued for one, at `BRUME_VERIFY_HOUR`
 * (server local time: the hour the lab is idle, 3 by default). 0 (the default) leaves checks to
 * the admin: a check reads the whole version, and a store shared with deploys should not be read
 * behind the admin's back unless asked.
 */
import { z } from 'zod';

export const storageSection = z
  .object({
    BRUME_VERIFY_EVERY_DAYS: z.coerce.number().int().min(0).max(365).default(0),
    BRUME_VERIFY_HOUR: z.coerce.number().int().min(0).max(23).default(3),
  })
  .transform((e) => ({
    verifyEveryMs: e.BRUME_VERIFY_EVERY_DAYS * 24 * 3600_000,
    verifyHour: e.BRUME_VERIFY_HOUR,
  }));
