/**
 * The wire codec as a specification: every message round-trips, and no byte string, however
 * random, truncated or oversized, makes the decoder throw: it returns a typed WireError.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkFrameMac,
  computeMac,
  DATA_BODY_FIXED_BYTES,
  decodeBody,
  defaultFragmentSize,
  encodeBeacon,
  encodeData,
  encodeNack,
  encodeReport,
  encodeWelcome,
  HEADER_BYTES,
  MAC_BYTES,
  MAX_DATAGRAM_BYTES,
  MessageType,
  MTU_DATAGRAM_BYTES,
  maxFragmentSize,
  mtuFragmentSize,
  newFastData,
  parseFrame,
  randomKey,
  readFastData,
  SenderState,
  WireError,
  wireBytes,
} from '../../server/src/multicast/wire/index.ts';

const key = randomKey();
const sessionId = 0x0123456789abcdefn;

function decode(datagram: Uint8Array, k: Uint8Array | null = key) {
  const frame = parseFrame(datagram);
  if (frame instanceof WireError) return frame;
  if (k) {
    const bad = checkFrameMac(frame, k);
    if (bad) return bad;
  }
  return decodeBody(frame);
}

const dataArb = fc.record({
  seq: fc.nat({ max: 0xffffffff }),
  blockIndex: fc.nat({ max: 0xffffffff }),
  fragCount: fc.integer({ min: 1, max: 0xffff }),
  kind: fc.integer({ min: 0, max: 1 }),
  payload: fc.uint8Array({ minLength: 1, maxLength: defaultFragmentSize(true) }),
});

describe('multicast wire codec', () => {
  it('Given any valid DATA fields, when encoded and decoded, then every field and byte comes back', () => {
    fc.assert(
      fc.property(dataArb, fc.boolean(), (d, withMac) => {
        const fields = { ...d, fragIndex: d.fragCount - 1, storedLength: d.payload.length + 1000 };
        const k = withMac ? key : null;
        const datagram = Buffer.concat(encodeData(sessionId, fields, d.payload, k));
        expect(datagram.length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
        const m = decode(datagram, k);
        expect(m).not.toBeInstanceOf(WireError);
        if (m instanceof WireError || m.type !== MessageType.Data) return;
        expect({ ...m, payload: Buffer.from(m.payload) }).toEqual({
          type: MessageType.Data,
          ...fields,
          payload: Buffer.from(d.payload),
        });
      }),
    );
  });

  it('Given control messages, when round-tripped, then they decode to what was sent', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.nat({ max: 0xffffffff }),
        fc.uint8Array({ maxLength: 1024 }),
        fc.array(
          fc.record({
            blockIndex: fc.nat(),
            fragStart: fc.nat({ max: 1000 }),
            fragCount: fc.integer({ min: 1, max: 1000 }),
          }),
          {
            minLength: 1,
            maxLength: 170,
          },
        ),
        (receiverId, n, map, entries) => {
          const id = { receiverId, incarnation: n, seq: n ^ 7 };
          const report = {
            ...id,
            join: true,
            blocksDone: n,
            complete: true,
            failed: false,
            lossPermille: 12,
            mapStart: 8 * (n % 1000),
            map,
          };
          const r = decode(encodeReport(sessionId, report, key));
          expect(r).toMatchObject({
            type: MessageType.Join,
            blocksDone: n,
            complete: true,
            mapStart: report.mapStart,
          });
          const nack = decode(encodeNack(sessionId, id, entries, key));
          expect(nack).toMatchObject({ type: MessageType.Nack, entries, incarnation: n });
          const w = decode(encodeWelcome(sessionId, receiverId, n, n, key));
          expect(w).toMatchObject({ type: MessageType.Welcome, unicastBelow: n });
        },
      ),
    );
  });

  it('Given random bytes of any length, when decoded, then the result is a message or a WireError, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const r = decode(bytes, null);
        expect(r instanceof WireError || typeof r.type === 'number').toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('Given a valid header with random bodies and lengths, when decoded, then no throw and a typed result', () => {
    const header = Buffer.from(
      encodeBeacon(
        sessionId,
        { state: SenderState.Running, activeReceivers: 3, mainCursor: 1, blockCount: 2, rateKiBps: 5 },
        key,
      ),
    ).subarray(0, 16);
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(MessageType)),
        fc.boolean(),
        fc.uint8Array({ maxLength: 1500 }),
        fc.integer({ min: 0, max: 0xffff }),
        (type, mac, body, claimed) => {
          const d = Buffer.concat([header, body]);
          d[3] = type;
          d[4] = mac ? 1 : 0;
          d.writeUInt16BE(
            fc.sample(fc.boolean(), 1)[0] ? claimed : Math.max(0, body.length - (mac ? 16 : 0)),
            6,
          );
          const r = decode(d, null);
          expect(r instanceof WireError || r.type === type).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('Given a valid datagram, when truncated at any length or one bit flipped, then it is refused with a typed error', () => {
    const valid = Buffer.concat(
      encodeData(
        sessionId,
        { seq: 1, blockIndex: 2, storedLength: 5000, fragIndex: 0, fragCount: 4, kind: 0 },
        Buffer.alloc(defaultFragmentSize(true), 7),
        key,
      ),
    );
    for (let len = 0; len < valid.length; len++) {
      expect(decode(valid.subarray(0, len))).toBeInstanceOf(WireError);
    }
    fc.assert(
      fc.property(fc.nat({ max: valid.length * 8 - 1 }), (bit) => {
        const d = Buffer.from(valid);
        d[bit >> 3] = (d[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        expect(decode(d)).toBeInstanceOf(WireError);
      }),
    );
    expect(decode(Buffer.concat([valid, Buffer.alloc(1)]))).toMatchObject({ code: 'LENGTH_MISMATCH' });
    expect(decode(Buffer.alloc(MAX_DATAGRAM_BYTES + 1))).toMatchObject({ code: 'OVERSIZED' });
  });

  it('Given the default fragment size, then a DATA datagram fills six 1500-byte IP fragments exactly, and an MTU-sized one one frame', () => {
    for (const mac of [true, false]) {
      const overhead = HEADER_BYTES + DATA_BODY_FIXED_BYTES + (mac ? MAC_BYTES : 0);
      const udp = defaultFragmentSize(mac) + overhead;
      expect(udp).toBe(8872);
      expect(wireBytes(udp)).toBe(6 * 1500);
      expect(wireBytes(udp + 1)).toBe(6 * 1500 + 1 + 20);
      expect(mtuFragmentSize(mac) + overhead).toBe(MTU_DATAGRAM_BYTES);
      expect(wireBytes(MTU_DATAGRAM_BYTES)).toBe(1500);
      expect(maxFragmentSize(mac) + overhead).toBe(MAX_DATAGRAM_BYTES);
    }
  });

  it('Given a control datagram larger than one 1500-byte frame, when decoded, then OVERSIZED (only DATA may span IP fragments)', () => {
    const beacon = encodeBeacon(
      sessionId,
      { state: SenderState.Running, activeReceivers: 3, mainCursor: 1, blockCount: 2, rateKiBps: 5 },
      key,
    );
    const big = Buffer.alloc(MTU_DATAGRAM_BYTES + 1);
    beacon.copy(big);
    big.writeUInt16BE(MTU_DATAGRAM_BYTES + 1 - HEADER_BYTES - MAC_BYTES, 6);
    expect(decode(big, null)).toMatchObject({ code: 'OVERSIZED' });
  });

  it('Given any key and message parts, when MACed, then the result is HMAC-SHA256 truncated to 16 bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 100 }),
        fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 4 }),
        (k, parts) => {
          const h = createHmac('sha256', k);
          for (const p of parts) h.update(p);
          expect(computeMac(k, ...parts).equals(h.digest().subarray(0, 16))).toBe(true);
          expect(computeMac(k, ...parts).equals(computeMac(Buffer.from(k), Buffer.concat(parts)))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Given a datagram signed with another key, when checked, then BAD_MAC', () => {
    const d = Buffer.concat(
      encodeData(
        sessionId,
        { seq: 1, blockIndex: 2, storedLength: 5000, fragIndex: 0, fragCount: 4, kind: 0 },
        Buffer.alloc(100),
        randomKey(),
      ),
    );
    expect(decode(d)).toMatchObject({ code: 'BAD_MAC' });
  });

  it('Given any datagram, when read by the DATA fast path, then it accepts exactly what the full decoder accepts as DATA of the session, with the same fields', () => {
    const valid = (fragIndex: number, payload: Uint8Array, k: Uint8Array | null) =>
      Buffer.concat(
        encodeData(
          sessionId,
          { seq: 9, blockIndex: 3, storedLength: 9000, fragIndex, fragCount: 7, kind: 1 },
          payload,
          k,
        ),
      );
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 1600 }).map((b) => Buffer.from(b)),
      fc
        .tuple(
          fc.nat({ max: 9 }),
          fc.uint8Array({ minLength: 1, maxLength: 1420 }),
          fc.boolean(),
          fc.nat({ max: 40 * 8 }),
          fc.boolean(),
        )
        .map(([f, p, mac, bit, flip]) => {
          const d = valid(f, p, mac ? key : null);
          if (flip) d[bit >> 3] = (d[bit >> 3] ?? 0) ^ (1 << (bit & 7));
          return d;
        }),
    );
    const hi = Number(sessionId >> 32n);
    const lo = Number(sessionId & 0xffffffffn);
    fc.assert(
      fc.property(arb, (d) => {
        const out = newFastData();
        const fast = readFastData(d, hi, lo, out);
        const frame = parseFrame(d);
        const full = frame instanceof WireError || frame.sessionId !== sessionId ? null : decodeBody(frame);
        const data = full && !(full instanceof WireError) && full.type === MessageType.Data ? full : null;
        expect(fast).toBe(data !== null);
        if (fast && data) {
          const full = data;
          expect([
            out.seq,
            out.blockIndex,
            out.storedLength,
            out.fragIndex,
            out.fragCount,
            out.kind,
            out.payloadLength,
          ]).toEqual([
            full.seq,
            full.blockIndex,
            full.storedLength,
            full.fragIndex,
            full.fragCount,
            full.kind,
            full.payload.length,
          ]);
          expect(
            Buffer.from(d.subarray(out.payloadOffset, out.payloadOffset + out.payloadLength)).equals(
              Buffer.from(full.payload),
            ),
          ).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
