/**
 * The receiver's socket drain (loopback only): datagrams are read from the descriptor, in order
 * and intact, including a backlog larger than one read's budget that piled up while the event loop
 * was blocked; on a timer (nothing from `dgram`) where the receive buffer is large for the arrival
 * rate, after `dgram`'s wake-ups where it is small; closing the socket stops the timer.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Reassembler } from '../../server/src/multicast/receiver/reassembler.ts';
import { drainSocket, socketFd } from '../../server/src/multicast/receiver/socket-drain.ts';

/** Arrival rates that make a 4 MiB receive buffer large (seconds of traffic) or small (microseconds). */
const SLOW = { arrivalBytesPerSecond: 1_000_000 };
const FAST = { arrivalBytesPerSecond: 1e13 };

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function bound(): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port };
}

/** Datagram i: its index in the first 4 bytes, then bytes derived from it, `size` in all. */
function datagram(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt32BE(i, 0);
  for (let k = 4; k < size; k++) b[k] = (i * 31 + k) & 0xff;
  return b;
}

async function sendAll(port: number, count: number, size: number): Promise<void> {
  const { socket } = await bound();
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) =>
      socket.send(datagram(i, size), port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
    );
  }
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('socket drain', () => {
  it('reads every datagram from the descriptor, in order and intact', async () => {
    const { socket, port } = await bound();
    expect(socketFd(socket)).toBeGreaterThanOrEqual(0);
    const got: Buffer[] = [];
    // The drain's buffer is reused: the consumer copies, as the receiver's intake does.
    const stats = drainSocket(socket, (d) => got.push(Buffer.from(d)), SLOW);
    expect(stats.mode).toBe('timer');
    await sendAll(port, 200, 8872);
    await until(() => got.length === 200);
    expect(stats.drained).toBe(200);
    expect(stats.delivered).toBe(0);
    for (const [i, d] of got.entries()) expect(d.equals(datagram(i, 8872))).toBe(true);
  });

  /** Sends 600 datagrams while the event loop is blocked; resolves once all 600 arrived. */
  async function backlog(port: number, got: number[]): Promise<void> {
    const { socket: tx } = await bound();
    // Sent synchronously: nothing is read until this loop gives the event loop back.
    for (let i = 0; i < 600; i++) tx.send(datagram(i, 1200), port, '127.0.0.1');
    const spinUntil = Date.now() + 50;
    while (Date.now() < spinUntil) {
      /* the kernel queues meanwhile */
    }
    await until(() => got.length === 600);
    expect(got).toEqual(Array.from({ length: 600 }, (_, i) => i));
  }

  it('on a timer, takes a backlog beyond one read budget, and stops on close', async () => {
    const { socket, port } = await bound();
    const got: number[] = [];
    const stats = drainSocket(socket, (d) => got.push(d.readUInt32BE(0)), SLOW);
    const { socket: tx } = await bound();
    await backlog(port, got);
    expect(stats.delivered).toBe(0);
    socket.close();
    sockets.splice(sockets.indexOf(socket), 1);
    tx.send(datagram(600, 1200), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 50));
    expect(stats.drained).toBe(600);
  });

  it('with a buffer too small for a timer, drains after each dgram wake-up', async () => {
    const { socket, port } = await bound();
    const got: number[] = [];
    const stats = drainSocket(socket, (d) => got.push(d.readUInt32BE(0)), FAST);
    expect(stats.mode).toBe('event');
    await backlog(port, got);
    expect(stats.delivered).toBeGreaterThan(0);
    // One wake-up found the whole backlog: most of it came from the descriptor.
    expect(stats.drained).toBeGreaterThan(300);
    expect(stats.delivered + stats.drained).toBe(600);
  });
});

describe('reassembler', () => {
  it('assembles fragments arriving out of order into the exact block, in a shared buffer', () => {
    const fragSize = 1000;
    const block = datagram(7, 4500);
    const r = new Reassembler(1 << 20, fragSize, 8192);
    const order = [3, 0, 4, 2, 1];
    let whole: Buffer | null = null;
    for (const f of order) {
      // Each fragment sits at an offset inside a larger datagram, as a DATA payload does.
      const payload = block.subarray(f * fragSize, Math.min(block.length, (f + 1) * fragSize));
      const dgram = Buffer.concat([Buffer.alloc(36, 0xee), payload, Buffer.alloc(16, 0xdd)]);
      whole = r.add(9, block.length, 5, f, dgram, 36, payload.length, 0);
      if (f !== 1) expect(whole).toBeNull();
    }
    expect(whole?.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(whole?.equals(block)).toBe(true);
  });
});
