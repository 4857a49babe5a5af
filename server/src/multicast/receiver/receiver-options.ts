/** Options of one receiver, with the defaults PROTOCOL.md names. */
import type { SessionTicket } from '../wire/session-ticket.ts';
import type { BlockSink, FetchBlock, ReceiverProgressSink, ResumeStore } from './ports.ts';

export interface ReceiverOptions {
  readonly ticket: SessionTicket;
  readonly sink: BlockSink;
  /** Address of the interface on the imaging network: the group is joined there. */
  readonly interfaceAddress: string;
  readonly fetchBlock?: FetchBlock;
  readonly resume?: ResumeStore;
  readonly progress?: ReceiverProgressSink;
  readonly nackIntervalMs: number;
  readonly renackMs: number;
  readonly quietMs: number;
  readonly heartbeatMs: number;
  readonly senderSilenceMs: number;
  readonly maxPartialBytes: number;
  readonly persistIntervalMs: number;
  readonly recvBufferBytes: number;
  readonly progressIntervalMs: number;
}

export type ReceiverOptionsInput = Pick<ReceiverOptions, 'ticket' | 'sink' | 'interfaceAddress'> &
  Partial<ReceiverOptions>;

export function receiverDefaults(input: ReceiverOptionsInput): ReceiverOptions {
  return {
    nackIntervalMs: 40,
    renackMs: 250,
    quietMs: 60,
    heartbeatMs: 250,
    senderSilenceMs: 15_000,
    maxPartialBytes: 64 * 1024 * 1024,
    persistIntervalMs: 1000,
    recvBufferBytes: 8 * 1024 * 1024,
    progressIntervalMs: 250,
    ...input,
  };
}
