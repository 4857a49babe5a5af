/** Encoders, one per datagram type. They refuse (WireEncodeError) what the protocol forbids. */
import {
  DATA_BODY_FIXED_BYTES,
  type DropReason,
  HEADER_BYTES,
  MAC_BYTES,
  MAX_DATAGRAM_BYTES,
  MAX_MAP_BYTES,
  MAX_NACK_ENTRIES,
  MessageType,
  RECEIVER_ID_BYTES,
  type SenderState,
} from './constants.ts';
import { buildFrame, writeHeader } from './frame.ts';
import { computeMac } from './mac.ts';
import type { ControlIdentity, NackEntry } from './messages.ts';
import { WireEncodeError } from './wire-errors.ts';

export interface DataFields {
  readonly seq: number;
  readonly blockIndex: number;
  readonly storedLength: number;
  readonly fragIndex: number;
  readonly fragCount: number;
  readonly kind: number;
}

/**
 * A DATA datagram as a list of buffers for one `socket.send` (scatter-gather): the payload is
 * not copied. The MAC, when a key is given, covers header, fixed body and payload.
 */
export function encodeData(
  sessionId: bigint,
  f: DataFields,
  payload: Uint8Array,
  key: Uint8Array | null,
): Uint8Array[] {
  const bodyLength = DATA_BODY_FIXED_BYTES + payload.length;
  if (HEADER_BYTES + bodyLength + (key ? MAC_BYTES : 0) > MAX_DATAGRAM_BYTES) {
    throw new WireEncodeError(`DATA payload of ${payload.length} bytes does not fit a datagram`);
  }
  const head = Buffer.allocUnsafe(HEADER_BYTES + DATA_BODY_FIXED_BYTES);
  writeHeader(head, MessageType.Data, sessionId, bodyLength, key !== null);
  head.writeUInt32BE(f.seq >>> 0, 16);
  head.writeUInt32BE(f.blockIndex, 20);
  head.writeUInt32BE(f.storedLength, 24);
  head.writeUInt16BE(f.fragIndex, 28);
  head.writeUInt16BE(f.fragCount, 30);
  head.writeUInt16BE(payload.length, 32);
  head.writeUInt8(f.kind, 34);
  head.writeUInt8(0, 35);
  if (!key) return [head, payload];
  return [head, payload, computeMac(key, head, payload)];
}

export function encodeBeacon(
  sessionId: bigint,
  s: {
    state: SenderState;
    activeReceivers: number;
    mainCursor: number;
    blockCount: number;
    rateKiBps: number;
  },
  key: Uint8Array,
): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(s.state, 0);
  b.writeUInt16BE(Math.min(s.activeReceivers, 0xffff), 2);
  b.writeUInt32BE(s.mainCursor, 4);
  b.writeUInt32BE(s.blockCount, 8);
  b.writeUInt32BE(Math.min(Math.round(s.rateKiBps), 0xffffffff), 12);
  return buildFrame(MessageType.Beacon, sessionId, b, key);
}

export function encodeEnd(
  sessionId: bigint,
  outcome: 0 | 1,
  completeReceivers: number,
  key: Uint8Array,
): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(outcome, 0);
  b.writeUInt32BE(completeReceivers, 4);
  return buildFrame(MessageType.End, sessionId, b, key);
}

function writeIdentity(b: Buffer, id: ControlIdentity): void {
  if (id.receiverId.length !== RECEIVER_ID_BYTES) throw new WireEncodeError('receiverId must be 16 bytes');
  b.set(id.receiverId, 0);
  b.writeUInt32BE(id.incarnation >>> 0, 16);
  b.writeUInt32BE(id.seq >>> 0, 20);
}

export interface ReportFields extends ControlIdentity {
  readonly join: boolean;
  readonly blocksDone: number;
  readonly complete: boolean;
  readonly failed: boolean;
  readonly lossPermille: number;
  readonly mapStart: number;
  readonly map: Uint8Array;
}

export function encodeReport(sessionId: bigint, r: ReportFields, key: Uint8Array): Buffer {
  if (r.map.length > MAX_MAP_BYTES) throw new WireEncodeError(`map window of ${r.map.length} bytes`);
  if (r.mapStart % 8 !== 0) throw new WireEncodeError('mapStart must be a multiple of 8');
  const b = Buffer.alloc(36 + r.map.length);
  writeIdentity(b, r);
  b.writeUInt32BE(r.blocksDone, 24);
  b.writeUInt8((r.complete ? 1 : 0) | (r.failed ? 2 : 0), 28);
  b.writeUInt8(Math.max(0, Math.min(255, Math.round(r.lossPermille))), 29);
  b.writeUInt16BE(r.map.length, 30);
  b.writeUInt32BE(r.mapStart, 32);
  b.set(r.map, 36);
  return buildFrame(r.join ? MessageType.Join : MessageType.Report, sessionId, b, key);
}

export function encodeNack(
  sessionId: bigint,
  id: ControlIdentity,
  entries: readonly NackEntry[],
  key: Uint8Array,
): Buffer {
  if (entries.length === 0 || entries.length > MAX_NACK_ENTRIES) {
    throw new WireEncodeError(`NACK with ${entries.length} entries`);
  }
  const b = Buffer.alloc(24 + 8 * entries.length);
  writeIdentity(b, id);
  entries.forEach((e, i) => {
    b.writeUInt32BE(e.blockIndex, 24 + 8 * i);
    b.writeUInt16BE(e.fragStart, 28 + 8 * i);
    b.writeUInt16BE(e.fragCount, 30 + 8 * i);
  });
  return buildFrame(MessageType.Nack, sessionId, b, key);
}

function replyBody(receiverId: Uint8Array, incarnation: number, extra: number): Buffer {
  if (receiverId.length !== RECEIVER_ID_BYTES) throw new WireEncodeError('receiverId must be 16 bytes');
  const b = Buffer.alloc(20 + extra);
  b.set(receiverId, 0);
  b.writeUInt32BE(incarnation >>> 0, 16);
  return b;
}

export function encodeWelcome(
  sessionId: bigint,
  receiverId: Uint8Array,
  incarnation: number,
  unicastBelow: number,
  key: Uint8Array,
): Buffer {
  const b = replyBody(receiverId, incarnation, 4);
  b.writeUInt32BE(unicastBelow, 20);
  return buildFrame(MessageType.Welcome, sessionId, b, key);
}

export function encodeAck(
  sessionId: bigint,
  receiverId: Uint8Array,
  incarnation: number,
  key: Uint8Array,
): Buffer {
  return buildFrame(MessageType.Ack, sessionId, replyBody(receiverId, incarnation, 0), key);
}

export function encodeDrop(
  sessionId: bigint,
  receiverId: Uint8Array,
  incarnation: number,
  reason: DropReason,
  key: Uint8Array,
): Buffer {
  const b = replyBody(receiverId, incarnation, 1);
  b.writeUInt8(reason, 20);
  return buildFrame(MessageType.Drop, sessionId, b, key);
}
