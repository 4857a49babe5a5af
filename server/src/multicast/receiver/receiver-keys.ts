/** A receiver's identity for one process run: the ticket's ids and keys, and a fresh incarnation. */
import { randomInt } from 'node:crypto';
import type { SessionTicket } from '../wire/session-ticket.ts';

export interface ReceiverKeys {
  readonly sessionId: bigint;
  /** The session id's two 32-bit halves, compared on the DATA fast path without a BigInt. */
  readonly sessionHi: number;
  readonly sessionLo: number;
  readonly groupKey: Buffer;
  readonly receiverId: Buffer;
  readonly receiverKey: Buffer;
  /** Drawn at start: a restarted receiver is a new incarnation with a new seq space. */
  readonly incarnation: number;
}

export function receiverKeys(t: SessionTicket): ReceiverKeys {
  return {
    sessionId: BigInt(`0x${t.sessionId}`),
    sessionHi: Number.parseInt(t.sessionId.slice(0, 8), 16),
    sessionLo: Number.parseInt(t.sessionId.slice(8), 16),
    groupKey: Buffer.from(t.groupKey, 'hex'),
    receiverId: Buffer.from(t.receiverId, 'hex'),
    receiverKey: Buffer.from(t.receiverKey, 'hex'),
    incarnation: randomInt(1, 0xffffffff),
  };
}
