/**
 * Reads a bound UDP socket straight from its descriptor into one reused buffer, on a timer.
 *
 * Node's `dgram` hands every datagram over as a fresh 64 KiB allocation (zeroed, then shrunk),
 * wrapped in a Buffer with an rinfo object and an event, after one epoll wake-up per burst of two
 * or three datagrams. At 86 000 datagrams per session that external memory drove a receiver's
 * garbage collector (perf: about a third of its main-thread and helper-thread time in allocation
 * and marking). Node 20 has no recvmmsg (nodejs/node#59126 is open), but a datagram socket's
 * descriptor can be read(2) like a file: one datagram per call, into memory we own.
 *
 * So libuv stops watching the socket and a timer drains it: every millisecond while datagrams
 * flow, backing off to 16 ms when idle. The kernel keeps what arrives in between: 16 ms at
 * 1 Gbit/s is 2 MB, inside the receive buffer the receiver asks for (8 MiB, the kernel's
 * rmem_max permitting). The drain ends on EAGAIN, which Node reports by throwing: once per tick
 * instead of once per wake-up.
 */
import type { Socket } from 'node:dgram';
import { readSync } from 'node:fs';

/** Largest UDP payload: a read never truncates a datagram. */
const MAX_DATAGRAM = 65_536;
/** Datagrams per tick before yielding to the codec's replies and other timers (≈ 2 MB). */
const DRAIN_BUDGET = 256;
const MIN_DELAY_MS = 1;
const MAX_DELAY_MS = 16;

export interface SocketDrainStats {
  /** Datagrams `dgram` delivered (all of them where the descriptor is not reachable). */
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

/**
 * Calls `onDatagram` for every datagram the bound socket receives. The buffer passed is valid
 * only during the call (drained datagrams share one buffer): a consumer that keeps bytes copies
 * them. Where the descriptor or libuv's recvStop is not reachable, or a read fails otherwise than
 * EAGAIN, `dgram` events deliver instead.
 */
export function drainSocket(socket: Socket, onDatagram: (datagram: Buffer) => void): SocketDrainStats {
  const stats: SocketDrainStats = { delivered: 0, drained: 0 };
  socket.on('message', (msg) => {
    stats.delivered++;
    onDatagram(msg);
  });
  const handle = udpHandle(socket);
  let fd = socketFd(socket);
  if (fd < 0 || !handle?.recvStop || !handle.recvStart) return stats;
  handle.recvStop();

  const scratch = Buffer.allocUnsafe(MAX_DATAGRAM);
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let delay = MIN_DELAY_MS;
  /** Datagrams read this tick; -1 once the descriptor failed. */
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
  const tick = (): void => {
    timer = null;
    immediate = null;
    if (fd < 0) return;
    const count = readBatch();
    if (count < 0) {
      fd = -1;
      handle.recvStart?.();
      return;
    }
    if (count === DRAIN_BUDGET) {
      immediate = setImmediate(tick);
      return;
    }
    delay = count > 0 ? MIN_DELAY_MS : Math.min(MAX_DELAY_MS, delay * 2);
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
