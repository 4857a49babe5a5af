/**
 * Body decoders: every field is range-checked against the frame's body length before it is read,
 * so truncated, oversized or random input yields a WireError, never an exception.
 */
import {
  DATA_BODY_FIXED_BYTES,
  DropReason,
  MAX_MAP_BYTES,
  MAX_NACK_ENTRIES,
  MessageType,
  RECEIVER_ID_BYTES,
  SenderState,
  WHOLE_BLOCK,
} from './constants.ts';
import { bodyView, type Frame } from './frame.ts';
import type { Message, NackEntry } from './messages.ts';
import { WireError } from './wire-errors.ts';

const DROP_REASONS = new Set<number>(Object.values(DropReason));
const SENDER_STATES = new Set<number>(Object.values(SenderState));

function need(body: Uint8Array, n: number, what: string): WireError | null {
  return body.length === n
    ? null
    : new WireError('LENGTH_MISMATCH', `${what}: ${body.length} bytes, want ${n}`);
}

function decodeData(body: Uint8Array): Message | WireError {
  if (body.length < DATA_BODY_FIXED_BYTES) return new WireError('TRUNCATED', `DATA body ${body.length}`);
  const v = bodyView(body);
  const payloadLength = v.getUint16(16);
  const bad = need(body, DATA_BODY_FIXED_BYTES + payloadLength, 'DATA');
  if (bad) return bad;
  const storedLength = v.getUint32(8);
  const fragIndex = v.getUint16(12);
  const fragCount = v.getUint16(14);
  const kind = v.getUint8(18);
  if (fragCount === 0 || fragIndex >= fragCount || kind > 1 || v.getUint8(19) !== 0 || payloadLength === 0) {
    return new WireError('BAD_FIELD', `DATA fragment ${fragIndex}/${fragCount} kind ${kind}`);
  }
  if (storedLength === 0 || payloadLength > storedLength) {
    return new WireError('BAD_FIELD', `DATA storedLength ${storedLength}`);
  }
  return {
    type: MessageType.Data,
    seq: v.getUint32(0),
    blockIndex: v.getUint32(4),
    storedLength,
    fragIndex,
    fragCount,
    kind,
    payload: body.subarray(DATA_BODY_FIXED_BYTES),
  };
}

function decodeBeacon(body: Uint8Array): Message | WireError {
  const bad = need(body, 16, 'BEACON');
  if (bad) return bad;
  const v = bodyView(body);
  const state = v.getUint8(0);
  if (!SENDER_STATES.has(state) || v.getUint8(1) !== 0)
    return new WireError('BAD_FIELD', `BEACON state ${state}`);
  const mainCursor = v.getUint32(4);
  const blockCount = v.getUint32(8);
  if (mainCursor > blockCount)
    return new WireError('BAD_FIELD', `BEACON cursor ${mainCursor} > ${blockCount}`);
  return {
    type: MessageType.Beacon,
    state: state as SenderState,
    activeReceivers: v.getUint16(2),
    mainCursor,
    blockCount,
    rateKiBps: v.getUint32(12),
  };
}

function decodeEnd(body: Uint8Array): Message | WireError {
  const bad = need(body, 8, 'END');
  if (bad) return bad;
  const v = bodyView(body);
  const outcome = v.getUint8(0);
  if (outcome > 1) return new WireError('BAD_FIELD', `END outcome ${outcome}`);
  return { type: MessageType.End, outcome: outcome as 0 | 1, completeReceivers: v.getUint32(4) };
}

function identity(body: Uint8Array) {
  const v = bodyView(body);
  return {
    receiverId: body.subarray(0, RECEIVER_ID_BYTES),
    incarnation: v.getUint32(16),
    seq: v.getUint32(20),
  };
}

function decodeReport(
  type: typeof MessageType.Join | typeof MessageType.Report,
  body: Uint8Array,
): Message | WireError {
  if (body.length < 36) return new WireError('TRUNCATED', `REPORT body ${body.length}`);
  const v = bodyView(body);
  const mapBytes = v.getUint16(30);
  if (mapBytes > MAX_MAP_BYTES) return new WireError('BAD_FIELD', `REPORT map ${mapBytes} bytes`);
  const bad = need(body, 36 + mapBytes, 'REPORT');
  if (bad) return bad;
  const flags = v.getUint8(28);
  const mapStart = v.getUint32(32);
  if ((flags & ~3) !== 0 || mapStart % 8 !== 0) return new WireError('BAD_FIELD', `REPORT flags ${flags}`);
  return {
    type,
    ...identity(body),
    blocksDone: v.getUint32(24),
    complete: (flags & 1) !== 0,
    failed: (flags & 2) !== 0,
    lossPermille: v.getUint8(29),
    mapStart,
    map: body.subarray(36),
  };
}

function decodeNack(body: Uint8Array): Message | WireError {
  if (body.length < 32 || (body.length - 24) % 8 !== 0)
    return new WireError('LENGTH_MISMATCH', `NACK ${body.length}`);
  const count = (body.length - 24) / 8;
  if (count > MAX_NACK_ENTRIES) return new WireError('BAD_FIELD', `NACK with ${count} entries`);
  const v = bodyView(body);
  const entries: NackEntry[] = [];
  for (let i = 0; i < count; i++) {
    const fragStart = v.getUint16(28 + 8 * i);
    const fragCount = v.getUint16(30 + 8 * i);
    const whole = fragCount === WHOLE_BLOCK;
    if (fragCount === 0 || (whole && fragStart !== 0) || (!whole && fragStart + fragCount > 0xffff)) {
      return new WireError('BAD_FIELD', `NACK entry ${fragStart}+${fragCount}`);
    }
    entries.push({ blockIndex: v.getUint32(24 + 8 * i), fragStart, fragCount });
  }
  return { type: MessageType.Nack, ...identity(body), entries };
}

function decodeReply(type: MessageType, body: Uint8Array): Message | WireError {
  const v = bodyView(body);
  const receiverId = body.subarray(0, RECEIVER_ID_BYTES);
  if (type === MessageType.Ack) {
    return need(body, 20, 'ACK') ?? { type, receiverId, incarnation: v.getUint32(16) };
  }
  if (type === MessageType.Welcome) {
    return (
      need(body, 24, 'WELCOME') ?? {
        type,
        receiverId,
        incarnation: v.getUint32(16),
        unicastBelow: v.getUint32(20),
      }
    );
  }
  const bad = need(body, 21, 'DROP');
  if (bad) return bad;
  const reason = v.getUint8(20);
  if (!DROP_REASONS.has(reason)) return new WireError('BAD_FIELD', `DROP reason ${reason}`);
  return { type: MessageType.Drop, receiverId, incarnation: v.getUint32(16), reason: reason as DropReason };
}

/** Decodes the body of a frame already checked by parseFrame (and by its MAC, where one is due). */
export function decodeBody(frame: Frame): Message | WireError {
  switch (frame.type) {
    case MessageType.Data:
      return decodeData(frame.body);
    case MessageType.Beacon:
      return decodeBeacon(frame.body);
    case MessageType.End:
      return decodeEnd(frame.body);
    case MessageType.Join:
    case MessageType.Report:
      return decodeReport(frame.type, frame.body);
    case MessageType.Nack:
      return decodeNack(frame.body);
    default:
      return decodeReply(frame.type, frame.body);
  }
}

/** The receiverId a control datagram claims, to pick the key its MAC is checked with. */
export function claimedReceiverId(frame: Frame): Uint8Array | null {
  return frame.body.length >= 24 ? frame.body.subarray(0, RECEIVER_ID_BYTES) : null;
}
