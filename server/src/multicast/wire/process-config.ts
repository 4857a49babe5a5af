/**
 * Configuration of the sender and receiver processes (`multicast-*-process.ts`): one JSON file
 * named on the command line, parsed with zod so every problem is reported at once.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ManifestChunkRef } from '../../imaging/index.ts';
import { sessionBlocks } from '../sender/engine-source.ts';
import { sessionTicketSchema } from './session-ticket.ts';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
const ref = z.object({
  offset: z.number().int().nonnegative(),
  length: z.number().int().positive(),
  hash: hex(32),
  storedSize: z.number().int().positive(),
});

export const senderProcessSchema = z.object({
  store: z.string(),
  blocksFile: z.string(),
  secrets: z.object({ sessionId: hex(8), groupKey: hex(32), masterKey: hex(32) }),
  group: z.string(),
  dataPort: z.number().int(),
  interfaceAddress: z.string(),
  controlPort: z.number().int(),
  dataMac: z.boolean(),
  minReceivers: z.number().int().positive(),
  maxWaitMs: z.number().int().positive(),
  stallMs: z.number().int().positive(),
  rateCap: z.number().positive(),
  lossThresholdPermille: z.number().int().nonnegative().optional(),
  lateJoinUnicastBlocks: z.number().int().nonnegative().optional(),
  /** Must equal the tickets' fragmentSize; default defaultFragmentSize(dataMac), as issueTicket. */
  fragmentSize: z.number().int().min(256).optional(),
  loopback: z.boolean().optional(),
  ttl: z.number().int().min(1).max(255).optional(),
});
export type SenderProcessConfig = z.infer<typeof senderProcessSchema>;

export const receiverProcessSchema = z.object({
  ticket: sessionTicketSchema,
  blocksFile: z.string(),
  disk: z.string(),
  interfaceAddress: z.string(),
  resumeFile: z.string(),
  /** 0: decode inline on the main thread; n: the engine's worker pool. */
  workers: z.number().int().nonnegative().default(1),
  /** Unicast fallback for tests: read stored blocks from this chunk store directory. */
  unicastStore: z.string().optional(),
  senderSilenceMs: z.number().int().positive().optional(),
});
export type ReceiverProcessConfig = z.infer<typeof receiverProcessSchema>;

export class ProcessConfigError extends Error {
  readonly code = 'PROCESS_CONFIG';
}

export async function readConfig<T>(schema: z.ZodType<T>, path: string | undefined): Promise<T> {
  if (!path) throw new ProcessConfigError('usage: <entry>.ts CONFIG.json');
  const r = schema.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!r.success)
    throw new ProcessConfigError(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return r.data;
}

/** A blocks file: `{blocks}`, or a whole engine manifest (its preserved ranges are sent first). */
export async function readBlocks(path: string): Promise<{ blocks: ManifestChunkRef[]; digest: string }> {
  const doc = JSON.parse(await readFile(path, 'utf8')) as { blocks?: unknown; preserved?: unknown };
  const list = z.array(ref).parse(doc.blocks);
  const blocks = Array.isArray(doc.preserved)
    ? sessionBlocks({ preserved: z.array(ref).parse(doc.preserved), blocks: list })
    : list;
  const digest = createHash('sha256').update(JSON.stringify(blocks)).digest('hex');
  return { blocks, digest };
}
