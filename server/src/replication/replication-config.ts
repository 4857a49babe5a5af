/**
 * The replication section of the configuration. A pass pushes every image's current version to
 * the REPLICA storage nodes every `BRUME_REPLICATION_INTERVAL_SECONDS` (FOG's replicator: 600 s;
 * 0 turns the timer off, `replicateNow` still runs a pass). `BRUME_NODE_NAME` is how this server
 * names itself to the nodes it pushes to (a replica records it as its images' origin). After a
 * pass in which a version failed (a node down, a token refused), the next pass comes after
 * `BRUME_REPLICATION_RETRY_SECONDS`, doubling while failures go on, never later than the period
 * (0: failures wait for the period).
 */
import os from 'node:os';
import { z } from 'zod';
import { isValidImageName } from '../images/image-name.ts';

/** The host name cut to the node-name rule, or `brume` when nothing of it is left. */
function defaultNodeName(): string {
  const name = os
    .hostname()
    .replace(/[^A-Za-z0-9._-]/g, '')
    .slice(0, 64);
  return isValidImageName(name) ? name : 'brume';
}

export const replicationSection = z
  .object({
    BRUME_NODE_NAME: z
      .string()
      .refine(isValidImageName, '1-64 of A-Z a-z 0-9 . _ - (not . or ..)')
      .optional(),
    BRUME_REPLICATION_INTERVAL_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .refine((n) => n === 0 || n >= 10, '0 (off) or at least 10')
      .default(600),
    BRUME_REPLICATION_RETRY_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .max(24 * 3600)
      .default(60),
  })
  .transform((e) => ({
    nodeName: e.BRUME_NODE_NAME ?? defaultNodeName(),
    intervalMs: e.BRUME_REPLICATION_INTERVAL_SECONDS * 1000,
    retryMs: e.BRUME_REPLICATION_RETRY_SECONDS * 1000,
  }));
