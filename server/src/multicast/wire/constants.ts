/** Numbers of the wire protocol; PROTOCOL.md is the source of truth. */

export const MAGIC = 0x424d;
export const VERSION = 1;
export const HEADER_BYTES = 16;
export const MAC_BYTES = 16;
/** 1500-byte MTU minus 20 bytes of IPv4 and 8 of UDP header: one Ethernet frame, no IP fragmentation. */
export const MTU_DATAGRAM_BYTES = 1472;
/** The largest UDP payload over IPv4: what a decoder accepts (DATA may span IP fragments, PROTOCOL.md). */
export const MAX_DATAGRAM_BYTES = 65507;
/** IP payload bytes per fragment on a 1500-byte MTU (a multiple of 8, as IP fragment offsets are). */
export const IP_FRAGMENT_PAYLOAD_BYTES = 1480;
/** Default DATA datagram: exactly IP_FRAGMENTS_PER_DATA full IP fragments on a 1500-byte MTU. */
export const IP_FRAGMENTS_PER_DATA = 6;
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

const dataOverhead = (dataMac: boolean) => HEADER_BYTES + DATA_BODY_FIXED_BYTES + (dataMac ? MAC_BYTES : 0);

/** Largest fragment payload for a MAC choice: what is left of a UDP datagram after header, body and MAC. */
export function maxFragmentSize(dataMac: boolean): number {
  return MAX_DATAGRAM_BYTES - dataOverhead(dataMac);
}

/** Largest fragment payload whose DATA datagram fits one 1500-byte Ethernet frame (1420 with a MAC). */
export function mtuFragmentSize(dataMac: boolean): number {
  return MTU_DATAGRAM_BYTES - dataOverhead(dataMac);
}

/**
 * Default fragment payload: the DATA datagram fills IP_FRAGMENTS_PER_DATA IP fragments exactly
 * (8 872 bytes of UDP payload; 8 820 of block bytes with a MAC). PROTOCOL.md "Datagram size" says why.
 */
export function defaultFragmentSize(dataMac: boolean): number {
  return IP_FRAGMENT_PAYLOAD_BYTES * IP_FRAGMENTS_PER_DATA - 8 - dataOverhead(dataMac);
}

/** Bytes a UDP datagram of `udpPayload` bytes occupies on a 1500-MTU wire (IP headers of every fragment). */
export function wireBytes(udpPayload: number): number {
  const ip = udpPayload + 8;
  return ip + 20 * Math.ceil(ip / IP_FRAGMENT_PAYLOAD_BYTES);
}
