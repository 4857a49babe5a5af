/**
 * The 16-byte header and the MAC trailer shared by every datagram. Parsing checks every length
 * before any field is read, and returns a WireError instead of throwing.
 */
import {
  FLAG_MAC,
  HEADER_BYTES,
  MAC_BYTES,
  MAGIC,
  MAX_DATAGRAM_BYTES,
  MessageType,
  MTU_DATAGRAM_BYTES,
  VERSION,
} from './constants.ts';
import { computeMac, macMatches } from './mac.ts';
import { WireError } from './wire-errors.ts';

const KNOWN_TYPES = new Set<number>(Object.values(MessageType));

export interface Frame {
  readonly type: MessageType;
  readonly sessionId: bigint;
  readonly hasMac: boolean;
  /** The type-specific body (a view into the datagram). */
  readonly body: Uint8Array;
  /** Header + body: what the MAC covers. */
  readonly signed: Uint8Array;
  readonly mac: Uint8Array | null;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function parseFrame(datagram: Uint8Array): Frame | WireError {
  if (datagram.length > MAX_DATAGRAM_BYTES) return new WireError('OVERSIZED', `${datagram.length} bytes`);
  if (datagram.length < HEADER_BYTES) return new WireError('TRUNCATED', `${datagram.length} bytes`);
  const v = view(datagram);
  if (v.getUint16(0) !== MAGIC) return new WireError('BAD_MAGIC', `0x${v.getUint16(0).toString(16)}`);
  if (v.getUint8(2) !== VERSION) return new WireError('BAD_VERSION', String(v.getUint8(2)));
  const type = v.getUint8(3);
  if (!KNOWN_TYPES.has(type)) return new WireError('BAD_TYPE', String(type));
  // Only DATA may span IP fragments (PROTOCOL.md "Datagram layout"): control stays one frame.
  if (type !== MessageType.Data && datagram.length > MTU_DATAGRAM_BYTES)
    return new WireError('OVERSIZED', `${datagram.length} bytes of type ${type}`);
  const flags = v.getUint8(4);
  if ((flags & ~FLAG_MAC) !== 0 || v.getUint8(5) !== 0) return new WireError('BAD_FLAGS', String(flags));
  const hasMac = (flags & FLAG_MAC) !== 0;
  const bodyLength = v.getUint16(6);
  const expected = HEADER_BYTES + bodyLength + (hasMac ? MAC_BYTES : 0);
  if (datagram.length !== expected) {
    return new WireError('LENGTH_MISMATCH', `${datagram.length} bytes, header says ${expected}`);
  }
  const end = HEADER_BYTES + bodyLength;
  return {
    type: type as MessageType,
    sessionId: v.getBigUint64(8),
    hasMac,
    body: datagram.subarray(HEADER_BYTES, end),
    signed: datagram.subarray(0, end),
    mac: hasMac ? datagram.subarray(end, end + MAC_BYTES) : null,
  };
}

/** Checks the MAC of a frame; a frame without one is refused when a key is required. */
export function checkFrameMac(frame: Frame, key: Uint8Array): WireError | null {
  if (frame.mac === null) return new WireError('MAC_MISSING', `type ${frame.type}`);
  return macMatches(key, frame.signed, frame.mac) ? null : new WireError('BAD_MAC', `type ${frame.type}`);
}

/** Writes the header into the first 16 bytes of `out`. */
export function writeHeader(
  out: Uint8Array,
  type: MessageType,
  sessionId: bigint,
  bodyLength: number,
  withMac: boolean,
): void {
  const v = view(out);
  v.setUint16(0, MAGIC);
  v.setUint8(2, VERSION);
  v.setUint8(3, type);
  v.setUint8(4, withMac ? FLAG_MAC : 0);
  v.setUint8(5, 0);
  v.setUint16(6, bodyLength);
  v.setBigUint64(8, sessionId);
}

/** Builds a whole datagram: header, body bytes, MAC when a key is given. */
export function buildFrame(
  type: MessageType,
  sessionId: bigint,
  body: Uint8Array,
  key: Uint8Array | null,
): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length + (key ? MAC_BYTES : 0));
  writeHeader(out, type, sessionId, body.length, key !== null);
  out.set(body, HEADER_BYTES);
  if (key) out.set(computeMac(key, out.subarray(0, HEADER_BYTES + body.length)), HEADER_BYTES + body.length);
  return out;
}

export function bodyView(body: Uint8Array): DataView {
  return view(body);
}
