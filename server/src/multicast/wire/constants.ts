/** Numbers of the wire protocol; PROTOCOL.md is the source of truth. */

export const MAGIC = 0x424d;
export const VERSION = 1;
export const HEADER_BYTES = 16;
export const MAC_BYTES = 16;
/** 1500-byte MTU minus 20 bytes of IPv4 and 8 of UDP header: no IP fragmentation. */
export const MAX_DATAGRAM_BYTES = 1472;
export const IP_UDP_OVERHEAD_BYTES = 28;
export const DATA_BODY_FIXED_BYTES = 20;
export const MAX_MAP_BYTES = 1024;
export const MAX_NACK_ENTRIES = 170;
export const WHOLE_BLOCK = 0xffff;
export const RECEIVER_ID_BYTES = 16;
export const KEY_BYTES = 32;
export const FLAG_MAC = 1;

export const MessageType = {
  Data: 1,
  Beacon: 2,
  End: 3,
  Join: 16,
  Report: 17,
  Nack: 18,
  Welcome: 32,
  Ack: 33,
  Drop: 34,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const SenderState = { Waiting: 0, Running: 1, Ending: 2 } as const;
export type SenderState = (typeof SenderState)[keyof typeof SenderState];

export const DropReason = { Stalled: 1, SessionOver: 2, UnknownReceiver: 3, FailedEarlier: 4 } as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

export const DataKind = { Main: 0, Repair: 1 } as const;

/** Largest fragment payload for a MAC choice: what is left of 1472 bytes after header, body and MAC. */
export function maxFragmentSize(dataMac: boolean): number {
  return MAX_DATAGRAM_BYTES - HEADER_BYTES - DATA_BODY_FIXED_BYTES - (dataMac ? MAC_BYTES : 0);
}
