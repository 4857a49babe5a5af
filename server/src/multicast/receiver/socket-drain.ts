/**
 * Reads a bound UDP socket straight from its descriptor into one reused buffer.
 *
 * Node's `dgram` hands every datagram over as a fresh 64 KiB allocation (zeroed, then shrunk),
 * wrapped in a Buffer with an rinfo object and an event, after one epoll wake-up per burst of two
 * or three datagrams. At 86 000 datagrams per session that external memory drove a receiver's
 * garbage collector (perf: about a third of its main-thread and helper-thread time in allocation
 * and marking). Node 20 has no recvmmsg (nodejs/node#59126 is open), but a datagram socket's
 * descriptor can be read(2) like a file: one datagram per call, into memory we own.
 *
 * Two ways to know when to read:
 * - `timer` (where the socket's receive buffer holds at least 4 ms of traffic at the arrival rate):
 *   libuv stops watching the socket and a timer drains it, every millisecond while datagrams flow,
 *   backing off when idle to at most a quarter of what the buffer holds (16 ms at most). No
 *   wake-up per burst, no allocation at all.
 * - `event` (a small buffer: Debian's default `net.core.rmem_max` of 208 KiB holds under 2 ms at
 *   1 Gbit/s): `dgram` still delivers the first datagram of each wake-up, as promptly as before,
 *   and the drain takes the rest of the backlog.
 * The drain ends on EAGAIN, which Node reports by throwing: once per tick or wake-up.
 */
import type { Socket } from 'node:dgram';
import { readSync } from 'node:fs';

/** Largest UDP payload: a read never truncates a datagram. */
const MAX_DATAGRAM = 65_536;
/** Datagrams per tick before yielding to the codec's replies and other timers (≈ 2 MB). */
const DRAIN_BUDGET = 256;
const MIN_DELAY_MS = 1;
const MAX_DELAY_MS = 16;
/** Default arrival rate the buffer must absorb: 1 Gbit/s (the sender's default cap is below it). */
const LINE_RATE_BYTES_PER_SECOND = 125_000_000;

export type DrainMode = 'timer' | 'event' | 'dgram';

export interface DrainOptions {
  /** Fastest arrival the socket's receive buffer must absorb between reads (bytes per second). */
  readonly arrivalBytesPerSecond?: number;
}

export interface SocketDrainStats {
  /** `dgram`: plain events, the descriptor was not reachable (or a read failed). */
  mode: DrainMode;
  /** Datagrams `dgram` delivered (all of them in mode `dgram`). */
  delivered: number;
  /** Datagrams read from the descriptor by the drain. */
  drained: number;
}

interface UdpHandle {
  readonly fd?: unknown;
  recvStart?(): number;
  recvStop?(): number;
}

/**
 * The socket's libuv handle. `dgram` keeps it under a private symbol (the `_handle` accessor is
 * deprecated, DEP0112); its `fd` is the descriptor on Unix, -1 elsewhere.
 */
function udpHandle(socket: Socket): UdpHandle | null {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  if (!state) return null;
  return (socket as unknown as Record<symbol, { handle?: UdpHandle } | undefined>)[state]?.handle ?? null;
}

/** The bound socket's descriptor, or -1 where Node does not expose it. */
export function socketFd(socket: Socket): number {
  const fd = udpHandle(socket)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/** How many milliseconds of arrivals the socket's receive buffer holds (the kernel's size, doubled). */
function bufferedMs(socket: Socket, arrivalBytesPerSecond: number): number {
  return socket.getRecvBufferSize() / (arrivalBytesPerSecond / 1000);
}

/**
 * Calls `onDatagram` for every datagram the bound socket receives. The buffer passed is valid
 * only during the call (drained datagrams share one buffer): a consumer that keeps bytes copies
 * them. Where the descriptor or libuv's recvStop is not reachable, or a read fails otherwise than
 * EAGAIN, `dgram` events deliver everything.
 */
export function drainSocket(
  socket: Socket,
  onDatagram: (datagram: Buffer) => void,
  options: DrainOptions = {},
): SocketDrainStats {
  const stats: SocketDrainStats = { mode: 'dgram', delivered: 0, drained: 0 };
  const handle = udpHandle(socket);
  let fd = socketFd(socket);
  const scratch = Buffer.allocUnsafe(MAX_DATAGRAM);
  /** Datagrams read; -1 once the descriptor failed (`dgram` takes over). */
  const readBatch = (): number => {
    // EAGAIN ends every drain: a stack trace for it would cost more than the reads.
    const stackLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      for (let count = 0; count < DRAIN_BUDGET; count++) {
        let n: number;
        try {
          n = readSync(fd, scratch, 0, MAX_DATAGRAM, null);
        } catch (error) {
          return (error as NodeJS.ErrnoException).code === 'EAGAIN' ? count : -1;
        }
        stats.drained++;
        onDatagram(scratch.subarray(0, n));
      }
      return DRAIN_BUDGET;
    } finally {
      Error.stackTraceLimit = stackLimit;
    }
  };
  const fallBack = (): void => {
    fd = -1;
    stats.mode = 'dgram';
    handle?.recvStart?.();
  };

  socket.on('message', (msg) => {
    stats.delivered++;
    onDatagram(msg);
    // Event mode: the rest of this wake-up's backlog (a full budget leaves the socket readable,
    // so libuv comes back for more after the other callbacks).
    if (stats.mode === 'event' && readBatch() < 0) fallBack();
  });
  if (fd < 0 || !handle?.recvStop || !handle.recvStart) return stats;
  const held = bufferedMs(socket, options.arrivalBytesPerSecond ?? LINE_RATE_BYTES_PER_SECOND);
  if (held < 4 * MIN_DELAY_MS) {
    stats.mode = 'event';
    return stats;
  }

  stats.mode = 'timer';
  handle.recvStop();
  const maxDelay = Math.max(MIN_DELAY_MS, Math.min(MAX_DELAY_MS, Math.floor(held / 4)));
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let delay = MIN_DELAY_MS;
  const tick = (): void => {
    timer = null;
    immediate = null;
    if (fd < 0) return;
    const count = readBatch();
    if (count < 0) {
      fallBack();
      return;
    }
    if (count === DRAIN_BUDGET) {
      immediate = setImmediate(tick);
      return;
    }
    delay = count > 0 ? MIN_DELAY_MS : Math.min(maxDelay, delay * 2);
    timer = setTimeout(tick, delay);
  };
  socket.once('close', () => {
    fd = -1;
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  });
  tick();
  return stats;
}
