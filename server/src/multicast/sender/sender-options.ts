/** Options of one sending session, with the defaults PROTOCOL.md names. */
import { defaultFragmentSize } from '../wire/constants.ts';
import type { SessionSecrets } from '../wire/session-ticket.ts';
import type { BlockSource, SenderProgressSink } from './ports.ts';

export interface SenderOptions {
  readonly secrets: SessionSecrets;
  readonly source: BlockSource;
  readonly group: string;
  readonly dataPort: number;
  /** The sender's unicast address on the imaging network: control socket and multicast interface. */
  readonly interfaceAddress: string;
  readonly controlPort: number;
  readonly dataMac: boolean;
  readonly fragmentSize: number;
  readonly minReceivers: number;
  readonly maxWaitMs: number;
  readonly stallMs: number;
  /** Bytes per second on the wire (UDP payload + 28 bytes IP/UDP). */
  readonly rateCap: number;
  readonly minRate: number;
  readonly lossThresholdPermille: number;
  readonly lateJoinUnicastBlocks: number;
  readonly cacheBlocks: number;
  readonly loopback: boolean;
  /** Multicast TTL: 1 keeps the stream on the imaging segment; routed labs raise it. */
  readonly ttl: number;
  readonly progressIntervalMs: number;
  readonly progress?: SenderProgressSink;
}

export type SenderOptionsInput = Pick<
  SenderOptions,
  'secrets' | 'source' | 'group' | 'dataPort' | 'interfaceAddress' | 'controlPort'
> &
  Partial<SenderOptions>;

export function senderDefaults(input: SenderOptionsInput): SenderOptions {
  const dataMac = input.dataMac ?? false;
  return {
    dataMac,
    fragmentSize: defaultFragmentSize(dataMac),
    minReceivers: 1,
    maxWaitMs: 60_000,
    stallMs: 10_000,
    rateCap: 110 * 1024 * 1024,
    minRate: 1024 * 1024,
    lossThresholdPermille: 120,
    lateJoinUnicastBlocks: 64,
    cacheBlocks: 8,
    loopback: false,
    ttl: 1,
    progressIntervalMs: 250,
    ...input,
  };
}
