/**
 * The receive hot path for DATA: the same checks as parseFrame + decodeBody (codec.test.ts proves
 * they agree on random input), without allocating per datagram. The result object is reused:
 * read it before the next call. The MAC, when present, is checked by the caller.
 */
import {
  DATA_BODY_FIXED_BYTES,
  HEADER_BYTES,
  MAC_BYTES,
  MAGIC,
  MAX_DATAGRAM_BYTES,
  MessageType,
  VERSION,
} from './constants.ts';

export interface FastData {
  seq: number;
  blockIndex: number;
  storedLength: number;
  fragIndex: number;
  fragCount: number;
  kind: number;
  hasMac: boolean;
  /** Payload position inside the datagram. */
  payloadOffset: number;
  payloadLength: number;
}

export function newFastData(): FastData {
  return {
    seq: 0,
    blockIndex: 0,
    storedLength: 0,
    fragIndex: 0,
    fragCount: 0,
    kind: 0,
    hasMac: false,
    payloadOffset: 0,
    payloadLength: 0,
  };
}

/** True when `d` is a well-formed DATA datagram of this session; fills `out`. */
export function readFastData(d: Buffer, sessionHi: number, sessionLo: number, out: FastData): boolean {
  const len = d.length;
  if (len < HEADER_BYTES + DATA_BODY_FIXED_BYTES || len > MAX_DATAGRAM_BYTES) return false;
  if (d.readUInt16BE(0) !== MAGIC || d[2] !== VERSION || d[3] !== MessageType.Data || d[5] !== 0)
    return false;
  const flags = d[4];
  if (flags !== 0 && flags !== 1) return false;
  const hasMac = flags === 1;
  const bodyLength = d.readUInt16BE(6);
  if (len !== HEADER_BYTES + bodyLength + (hasMac ? MAC_BYTES : 0)) return false;
  if (d.readUInt32BE(8) !== sessionHi || d.readUInt32BE(12) !== sessionLo) return false;
  const payloadLength = d.readUInt16BE(32);
  if (bodyLength !== DATA_BODY_FIXED_BYTES + payloadLength || payloadLength === 0) return false;
  const storedLength = d.readUInt32BE(24);
  const fragIndex = d.readUInt16BE(28);
  const fragCount = d.readUInt16BE(30);
  const kind = d[34] ?? 2;
  if (fragCount === 0 || fragIndex >= fragCount || kind > 1 || d[35] !== 0) return false;
  if (storedLength === 0 || payloadLength > storedLength) return false;
  out.seq = d.readUInt32BE(16);
  out.blockIndex = d.readUInt32BE(20);
  out.storedLength = storedLength;
  out.fragIndex = fragIndex;
  out.fragCount = fragCount;
  out.kind = kind;
  out.hasMac = hasMac;
  out.payloadOffset = HEADER_BYTES + DATA_BODY_FIXED_BYTES;
  out.payloadLength = payloadLength;
  return true;
}
