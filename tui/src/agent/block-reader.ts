/**
 * Block downloads (`GET /v1/deploy/blocks/<hash>`) on plain HTTP/1.1 keep-alive connections that
 * each read their socket into one reused buffer (net.Socket's `onread`), the body copied from it
 * straight into the caller's slot.
 *
 * Why not node:http (or undici): both read every socket chunk into a fresh buffer of up to 64 KiB.
 * A deploy receives the whole compressed image that way (0.76 GB for the bench fixture), and that
 * external memory made the client run about 40 major GCs per deploy, a fifth of its CPU.
 *
 * Only what the data plane answers a block request with is handled here: a status line, headers,
 * a body of the declared Content-Length. Anything else (chunked, no length, a malformed head) is
 * refused with UnsupportedResponseError and the connection closed; the caller then sends the
 * request through node:http, which handles all of HTTP (a proxy in between, say).
 */
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { copyBytes } from '@brume/server/imaging';

const READ_BUFFER = 64 * 1024;
/** Status line and headers: the data plane sends a few hundred bytes. */
const MAX_HEAD = 16 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

/** A response this reader does not parse; send the request through node:http instead. */
export class UnsupportedResponseError extends Error {
  constructor(why: string) {
    super(`response not handled by the block reader: ${why}`);
    this.name = 'UnsupportedResponseError';
  }
}

/** The connection failed or closed before any byte of the response came back. */
export class NoResponseError extends Error {
  /** The connection had carried an earlier exchange (the server may have just closed it idle). */
  readonly reused: boolean;
  constructor(reused: boolean, cause?: Error) {
    super(`no response: ${cause?.message ?? 'the connection closed'}`, cause ? { cause } : {});
    this.name = 'NoResponseError';
    this.reused = reused;
  }
}

export interface BlockResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** A view of `into` for a 2xx body that fits it; otherwise a buffer of its own. */
  readonly body: Uint8Array;
}

interface Head {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly length: number;
  readonly keepAlive: boolean;
}

/** Parses a response head (without its final blank line); throws UnsupportedResponseError. */
export function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!status) throw new UnsupportedResponseError('not an HTTP/1.x status line');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UnsupportedResponseError('a malformed header line');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  if (headers['transfer-encoding'] !== undefined) throw new UnsupportedResponseError('a coded body');
  const code = Number(status[2]);
  const declared = headers['content-length'];
  const noBody = code === 204 || code === 304 || (code >= 100 && code < 200);
  if (code < 200) throw new UnsupportedResponseError('an interim response');
  if (!noBody && (declared === undefined || !/^\d{1,15}$/.test(declared)))
    throw new UnsupportedResponseError('no usable Content-Length');
  const connection = (headers.connection ?? '').toLowerCase();
  const keepAlive = status[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
  return { status: code, headers, length: noBody ? 0 : Number(declared), keepAlive };
}

/** One exchange in progress on a connection. */
interface Exchange {
  readonly into: Uint8Array;
  head: Buffer[];
  headBytes: number;
  parsed: Head | null;
  body: Uint8Array | null;
  at: number;
  received: boolean;
  readonly resolve: (r: BlockResponse) => void;
  readonly reject: (e: Error) => void;
}

class Connection {
  readonly socket: net.Socket;
  /** Exchanges completed on it (a reused connection may have been closed by the server meanwhile). */
  served = 0;
  closed = false;
  private current: Exchange | null = null;
  private readonly onIdle: (c: Connection) => void;
  private readonly onGone: (c: Connection) => void;

  constructor(host: string, port: number, onIdle: (c: Connection) => void, onGone: (c: Connection) => void) {
    this.onIdle = onIdle;
    this.onGone = onGone;
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: Buffer.allocUnsafe(READ_BUFFER),
        callback: (n: number, buf: Uint8Array) => {
          this.data(buf.subarray(0, n));
          return true;
        },
      },
    });
    this.socket.on('error', (error) => this.end(error));
    this.socket.on('close', () => this.end());
  }

  send(
    request: string,
    idleMs: number,
    onIdle: ((ms: number) => Error) | undefined,
    exchange: Exchange,
  ): void {
    this.current = exchange;
    this.socket.ref();
    this.socket.setTimeout(idleMs);
    if (idleMs > 0)
      this.socket.once('timeout', () => {
        if (this.current === exchange)
          this.fail(onIdle?.(idleMs) ?? new Error(`no data from the server for ${idleMs} ms`));
      });
    this.socket.write(request);
  }

  abort(reason: Error): void {
    const ex = this.current;
    this.current = null;
    this.socket.destroy();
    ex?.reject(reason);
  }

  private fail(error: Error): void {
    const ex = this.current;
    this.current = null;
    this.socket.destroy();
    ex?.reject(error);
  }

  private end(error?: Error): void {
    const ex = this.current;
    this.current = null;
    if (!this.closed) {
      this.closed = true;
      this.onGone(this);
    }
    if (!ex) return;
    if (!ex.received) ex.reject(new NoResponseError(this.served > 0, error));
    else ex.reject(error ?? new Error('the connection closed before the response ended'));
  }

  private data(chunk: Uint8Array): void {
    const ex = this.current;
    if (!ex) {
      // Nothing was asked: a server speaking out of turn. The connection is not reused.
      this.socket.destroy();
      return;
    }
    ex.received = true;
    try {
      const rest = ex.parsed ? chunk : this.headPart(ex, chunk);
      if (rest !== null) this.bodyPart(ex, rest);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  /** Collects the head; returns the bytes after it once it is whole, else null. */
  private headPart(ex: Exchange, chunk: Uint8Array): Uint8Array | null {
    // Most heads come whole in their first read: parsed in place. Only a head split across reads
    // is copied out of the reused read buffer (heads are small; the body never is copied here).
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const all =
      ex.head.length === 0 ? bytes : Buffer.concat([...ex.head, bytes], ex.headBytes + bytes.length);
    const end = all.indexOf(HEAD_END);
    if (end < 0) {
      if (all.length > MAX_HEAD) throw new UnsupportedResponseError('a head over 16 KiB');
      ex.head = [Buffer.from(all)];
      ex.headBytes = all.length;
      return null;
    }
    const head = parseHead(all.toString('latin1', 0, end));
    ex.parsed = head;
    ex.head = [];
    const ok = head.status >= 200 && head.status < 300;
    ex.body =
      ok && head.length <= ex.into.length
        ? ex.into.subarray(0, head.length)
        : Buffer.allocUnsafe(head.length);
    // The bytes after the head are all in this read (the head's end was not in the earlier ones).
    return chunk.subarray(chunk.length - (all.length - end - HEAD_END.length));
  }

  private bodyPart(ex: Exchange, bytes: Uint8Array): void {
    const head = ex.parsed as Head;
    const body = ex.body as Uint8Array;
    if (ex.at + bytes.length > head.length) throw new Error('response longer than its Content-Length');
    copyBytes(body, ex.at, bytes);
    ex.at += bytes.length;
    if (ex.at < head.length) return;
    this.current = null;
    this.served++;
    this.socket.setTimeout(0);
    this.socket.removeAllListeners('timeout');
    if (head.keepAlive) this.onIdle(this);
    else this.socket.destroy();
    ex.resolve({ status: head.status, headers: head.headers, body });
  }
}

/**
 * GETs on up to `maxConnections` kept-alive connections to one server (idle ones unref'd, so they
 * never hold the process open; the most recently used is reused first).
 */
export class BlockReader {
  private readonly host: string;
  private readonly hostHeader: string;
  private readonly port: number;
  private readonly maxConnections: number;
  private readonly idle: Connection[] = [];
  private readonly waiting: ((c: Connection | null) => void)[] = [];
  private open = 0;
  private closedAll = false;
  /** Connections opened so far (tests read it). */
  opened = 0;

  constructor(url: URL, maxConnections: number) {
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.hostHeader = url.host;
    this.port = Number(url.port || 80);
    this.maxConnections = maxConnections;
  }

  /**
   * GET `path` with `headers`; a 2xx body that fits `into` is read into it. With `idleMs`, the
   * exchange fails with `onIdle()`'s error when that long passes without a byte.
   */
  async get(
    path: string,
    headers: Record<string, string>,
    into: Uint8Array,
    options: { signal?: AbortSignal; idleMs?: number; onIdle?: (ms: number) => Error } = {},
  ): Promise<BlockResponse> {
    const { signal, idleMs = 0 } = options;
    signal?.throwIfAborted();
    const request = requestHead(path, this.hostHeader, headers);
    const connection = await this.take();
    if (connection === null) throw new NoResponseError(false, new Error('the block reader is closed'));
    if (signal?.aborted) {
      this.release(connection);
      signal.throwIfAborted();
    }
    return new Promise<BlockResponse>((resolve, reject) => {
      const onAbort = () => connection.abort(signal?.reason ?? new Error('aborted'));
      const settle = () => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      connection.send(request, idleMs, options.onIdle, {
        into,
        head: [],
        headBytes: 0,
        parsed: null,
        body: null,
        at: 0,
        received: false,
        resolve: (r) => {
          settle();
          resolve(r);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
      });
    });
  }

  private take(): Promise<Connection | null> {
    if (this.closedAll) return Promise.resolve(null);
    const reused = this.idle.pop();
    if (reused) return Promise.resolve(reused);
    if (this.open < this.maxConnections) return Promise.resolve(this.connect());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private connect(): Connection {
    this.open++;
    this.opened++;
    return new Connection(
      this.host,
      this.port,
      (c) => this.release(c),
      (c) => this.gone(c),
    );
  }

  private release(c: Connection): void {
    if (this.closedAll) {
      c.socket.destroy();
      return;
    }
    const next = this.waiting.shift();
    if (next) next(c);
    else {
      c.socket.unref();
      this.idle.push(c);
    }
  }

  private gone(c: Connection): void {
    this.open--;
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    // A waiter gets a new connection in place of the one that went.
    const next = this.waiting.shift();
    if (next) next(this.closedAll ? null : this.connect());
  }

  /** Closes the idle connections now and the busy ones as their exchange ends; no new requests. */
  close(): void {
    this.closedAll = true;
    for (const c of [...this.idle]) c.socket.destroy();
    for (const w of this.waiting.splice(0)) w(null);
  }
}

function requestHead(path: string, host: string, headers: Record<string, string>): string {
  let head = `GET ${path} HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    // As node:http refuses them: a CR or LF would let a value start a header of its own.
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new TypeError(`invalid header ${name}`);
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}
