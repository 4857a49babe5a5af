/**
 * The session ticket: what a receiver needs to join, given to it over the authenticated control
 * plane (never over multicast). Parsed with zod so a bad ticket is refused with every problem named.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defaultFragmentSize, maxFragmentSize } from './constants.ts';
import { deriveReceiverKey, randomKey, randomReceiverId } from './mac.ts';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
const ipv4 = z.string().regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/);
const port = z.number().int().min(1).max(65535);

export const sessionTicketSchema = z.object({
  sessionId: hex(8),
  group: ipv4.refine((a) => {
    const first = Number(a.split('.')[0]);
    return first >= 224 && first <= 239;
  }, 'not a multicast address'),
  dataPort: port,
  senderAddress: ipv4,
  controlPort: port,
  groupKey: hex(32),
  receiverId: hex(16),
  receiverKey: hex(32),
  dataMac: z.boolean(),
  fragmentSize: z.number().int().min(256),
  blockCount: z.number().int().min(0).max(0xffffffff),
  unicastUrl: z.string().url().optional(),
});
export type SessionTicket = z.infer<typeof sessionTicketSchema>;

export class BadTicketError extends Error {
  readonly code = 'BAD_TICKET';
}

export function parseTicket(input: unknown): SessionTicket {
  const r = sessionTicketSchema.safeParse(input);
  if (!r.success)
    throw new BadTicketError(
      `bad session ticket: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  if (r.data.fragmentSize > maxFragmentSize(r.data.dataMac)) {
    throw new BadTicketError(`fragmentSize ${r.data.fragmentSize} does not fit a UDP datagram`);
  }
  return r.data;
}

/** What the sender keeps secret; receivers get tickets derived from it. */
export interface SessionSecrets {
  readonly sessionId: bigint;
  readonly groupKey: Buffer;
  readonly masterKey: Buffer;
}

export function newSessionSecrets(): SessionSecrets {
  return { sessionId: randomBytes(8).readBigUInt64BE(0), groupKey: randomKey(), masterKey: randomKey() };
}

export interface SessionParams {
  readonly group: string;
  readonly dataPort: number;
  readonly senderAddress: string;
  readonly controlPort: number;
  readonly dataMac: boolean;
  readonly blockCount: number;
  readonly fragmentSize?: number;
  readonly unicastUrl?: string;
}

/** A ticket for one receiver; pass the same receiverId again to let a restarted receiver resume. */
export function issueTicket(
  secrets: SessionSecrets,
  params: SessionParams,
  receiverId?: Uint8Array,
): SessionTicket {
  const id = receiverId ?? randomReceiverId();
  return parseTicket({
    ...params,
    fragmentSize: params.fragmentSize ?? defaultFragmentSize(params.dataMac),
    sessionId: secrets.sessionId.toString(16).padStart(16, '0'),
    groupKey: secrets.groupKey.toString('hex'),
    receiverId: Buffer.from(id).toString('hex'),
    receiverKey: deriveReceiverKey(secrets.masterKey, id).toString('hex'),
  });
}
