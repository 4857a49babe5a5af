/**
 * The client side of the data plane (server/src/transfer/PROTOCOL.md): requests with the task token
 * and MAC over node:http with a keep-alive agent (several block requests in flight on reused
 * connections, no per-request connection set-up, bodies written and read without the extra copies
 * and stream machinery of fetch), typed errors from `{code, message}` bodies, and retries with
 * backoff on connection errors and 429/502/503/504 within a window (a restarting server comes
 * back within it).
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { copyBytes } from '@brume/server/imaging';
import { BlockReader, NoResponseError, UnsupportedResponseError } from './block-reader.ts';

export class TransferClientError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;
  constructor(code: string, status: number, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TransferClientError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** The task ended on the server (cancelled, failed, complete): stop at once. */
export function isTaskEnded(error: unknown): error is TransferClientError {
  return error instanceof TransferClientError && error.code === 'TASK_ENDED';
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);

/** A request that died on a kept-alive socket the server had just closed: safe to send again. */
class StaleSocketError extends Error {
  readonly code = 'STALE_SOCKET';
  constructor(cause: Error) {
    super(`kept-alive connection closed by the server: ${cause.message}`, { cause });
  }
}
/** Sockets kept per server: above the blocks a transfer keeps in flight (tuning.ts). */
const MAX_SOCKETS = 16;

export interface TransferClientOptions {
  readonly server: string;
  readonly mac: string;
  /** How long a request keeps retrying transient failures (default 120 s, the token lifetime). */
  readonly retryWindowMs?: number;
  /** Counts compressed bytes received for blocks (tests and benchmarks read it). */
  readonly onBlockBytes?: (bytes: number) => void;
  /**
   * A block request that gets no byte for this long is dropped and sent again (default 60 s): a
   * pulled cable or a dead router gives no reset, and TCP alone would wait a quarter of an hour.
   */
  readonly blockIdleMs?: number;
}

/** No byte from the server for `ms` milliseconds during one attempt. */
export class IdleTimeoutError extends Error {
  readonly code = 'IDLE_TIMEOUT';
  constructor(ms: number) {
    super(`no data from the server for ${ms} ms`);
    this.name = 'IdleTimeoutError';
  }
}

export interface RequestOptions {
  readonly method?: string;
  readonly json?: unknown;
  readonly body?: Uint8Array;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
  /** Do not retry (a commit whose outcome would be ambiguous on a retry is still retried: it is idempotent until it succeeds). */
  readonly noRetry?: boolean;
  /** Give up an attempt when this long passes without a byte from the server (it is then retried). */
  readonly idleMs?: number;
}

/** A response read whole: status, headers, body bytes. */
interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Uint8Array;
}

export class TransferClient {
  readonly base: string;
  readonly mac: string;
  token: string | null = null;
  private readonly retryWindowMs: number;
  /** Idle limit of block requests (getBlock, getBlockInto, blockJson). */
  private readonly blockIdleMs: number;
  private readonly onBlockBytes: ((bytes: number) => void) | undefined;
  private readonly url: URL;
  private readonly agent: http.Agent;
  /** Block bodies on connections that read into a reused buffer (plain HTTP only; see block-reader.ts). */
  private readonly reader: BlockReader | null;
  /** The reader, until a response it does not handle sends every block through node:http. */
  private blocks: BlockReader | null;
  /** Until a server without the multi-chunk route says so. */
  private batchGets = true;

  constructor(options: TransferClientOptions) {
    this.base = options.server.replace(/\/+$/, '');
    this.mac = options.mac;
    this.retryWindowMs = options.retryWindowMs ?? 120_000;
    this.blockIdleMs = options.blockIdleMs ?? 60_000;
    this.onBlockBytes = options.onBlockBytes;
    this.url = new URL(this.base);
    const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS, scheduling: 'lifo' as const };
    this.agent =
      this.url.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.reader = this.url.protocol === 'http:' ? new BlockReader(this.url, MAX_SOCKETS) : null;
    this.blocks = this.reader;
  }

  /** Block reader connections opened so far (0 when blocks go through node:http). */
  get blockConnections(): number {
    return this.reader?.opened ?? 0;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'brume-mac': this.mac,
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      ...extra,
    };
  }

  /**
   * One request with retries; the whole 2xx response, or a TransferClientError. A 2xx body that
   * fits `into` is read into it (the response's body is then a view of `into`).
   */
  private async exchange(path: string, options: RequestOptions, into?: Uint8Array): Promise<RawResponse> {
    const started = Date.now();
    let delay = 200;
    const payload =
      options.json !== undefined ? Buffer.from(JSON.stringify(options.json)) : toBuffer(options.body);
    const headers = this.headers({
      ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.body ? { 'content-type': 'application/zstd' } : {}),
      ...options.headers,
    });
    const method = options.method ?? (payload ? 'POST' : 'GET');
    // Each request in flight listens on the signal: a transfer keeps more than ten in flight.
    if (options.signal) setMaxListeners(4 * MAX_SOCKETS, options.signal);
    let resent = false;
    for (;;) {
      options.signal?.throwIfAborted();
      let res: RawResponse | null = null;
      let failure: unknown = null;
      try {
        res =
          into && method === 'GET' && this.blocks
            ? await this.readInto(this.blocks, path, headers, into, options)
            : await this.once(path, method, headers, payload, options, into);
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        if (error instanceof StaleSocketError && !resent) {
          resent = true;
          continue;
        }
        failure = error;
      }
      if (res && res.status >= 200 && res.status < 300) return res;
      const transient = res === null || RETRY_STATUS.has(res.status);
      if (!transient || options.noRetry || Date.now() - started > this.retryWindowMs) {
        if (res === null)
          throw new TransferClientError(
            'UNREACHABLE',
            0,
            `server unreachable: ${(failure as Error).message}`,
          );
        throw errorOf(res);
      }
      await sleep(delay, undefined, options.signal ? { signal: options.signal } : {});
      delay = Math.min(delay * 2, 3000);
    }
  }

  /**
   * A GET whose body goes into `into`, through the block reader; a response it does not handle
   * is asked again through node:http, which then serves this client's blocks from then on.
   */
  private async readInto(
    blocks: BlockReader,
    path: string,
    headers: Record<string, string>,
    into: Uint8Array,
    options: RequestOptions,
  ): Promise<RawResponse> {
    try {
      return await blocks.get(path, headers, into, {
        ...(options.signal ? { signal: options.signal } : {}),
        idleMs: options.idleMs ?? 0,
        onIdle: (ms) => new IdleTimeoutError(ms),
      });
    } catch (error) {
      if (error instanceof UnsupportedResponseError) {
        this.blocks = null;
        blocks.close();
        return this.once(path, 'GET', headers, undefined, options, into);
      }
      // The same race as on the agent's sockets (see once()): nothing came back on a reused connection.
      if (error instanceof NoResponseError && error.reused) throw new StaleSocketError(error);
      if (error instanceof NoResponseError && error.cause instanceof Error) throw error.cause;
      throw error;
    }
  }

  /** One HTTP exchange on a kept-alive connection. */
  private once(
    path: string,
    method: string,
    headers: Record<string, string>,
    payload: Buffer | undefined,
    options: RequestOptions,
    into?: Uint8Array,
  ): Promise<RawResponse> {
    const { signal, idleMs } = options;
    const lib = this.url.protocol === 'https:' ? https : http;
    return new Promise<RawResponse>((resolve, reject) => {
      const req = lib.request(
        new URL(path, this.url),
        {
          method,
          agent: this.agent,
          headers: { ...headers, 'content-length': String(payload?.length ?? 0) },
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
          readAll(res, ok ? into : undefined).then(
            (body) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }),
            reject,
          );
        },
      );
      if (idleMs) req.setTimeout(idleMs, () => req.destroy(new IdleTimeoutError(idleMs)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        // The server closes a kept-alive socket after its idle timeout; a request written onto it
        // just as it closes dies with ECONNRESET/EPIPE before the server reads it (Node's docs name
        // this race). Marked so exchange() resends it once, even for requests that never retry.
        const stale = req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        reject(stale ? new StaleSocketError(error) : error);
      });
      req.end(payload);
    });
  }

  /** One request with retries; resolves the Response of a 2xx, throws TransferClientError otherwise. */
  async request(path: string, options: RequestOptions = {}): Promise<Response> {
    const raw = await this.exchange(path, options);
    const headers = new Headers();
    for (const [name, value] of Object.entries(raw.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const body = raw.status === 204 || raw.status === 205 ? null : (raw.body as Uint8Array<ArrayBuffer>);
    return new Response(body, { status: raw.status, headers });
  }

  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const raw = await this.exchange(path, options);
    return JSON.parse(
      Buffer.from(raw.body.buffer, raw.body.byteOffset, raw.body.length).toString('utf8'),
    ) as T;
  }

  /**
   * The compressed chunk named `hash` of the task's image. A plain buffer on purpose: the codec
   * workers get a copy, freed with the block; a SharedArrayBuffer per block would stay alive until
   * the worker's heap is next collected.
   */
  async getBlock(hash: string, signal?: AbortSignal): Promise<Uint8Array> {
    const raw = await this.exchange(`/v1/deploy/blocks/${hash}`, this.blockOptions(signal ? { signal } : {}));
    this.onBlockBytes?.(raw.body.length);
    return raw.body;
  }

  /**
   * Reads the compressed chunk named `hash` into `into` (the engine's reused SharedArrayBuffer slot:
   * no buffer per block, and the codec workers decode it in place instead of receiving a copy).
   * Returns its length, or -1 when it does not fit (the engine then falls back to getBlock).
   */
  async getBlockInto(hash: string, into: Uint8Array, signal?: AbortSignal): Promise<number> {
    const raw = await this.exchange(
      `/v1/deploy/blocks/${hash}`,
      this.blockOptions(signal ? { signal } : {}),
      into,
    );
    this.onBlockBytes?.(raw.body.length);
    return raw.body.buffer === into.buffer ? raw.body.length : -1;
  }

  /**
   * Reads several chunks of the task's image back to back into `into` with one request
   * (`GET /v1/deploy/blocks?hashes=…`); their lengths, in the order asked. Null when they do not
   * fit `into`, or when the server has no such route (then every later call is null at once):
   * the engine then fetches them one by one.
   */
  async getBlocksInto(hashes: readonly string[], into: Uint8Array, signal?: AbortSignal) {
    if (!this.batchGets || hashes.length === 0) return null;
    let raw: RawResponse;
    try {
      raw = await this.exchange(
        `/v1/deploy/blocks?hashes=${hashes.join(',')}`,
        this.blockOptions(signal ? { signal } : {}),
        into,
      );
    } catch (error) {
      if (!(error instanceof TransferClientError) || (error.status !== 404 && error.status !== 400))
        throw error;
      // A chunk missing from the store: the one-by-one fetches name it. Any other 404 or 400 is a
      // server before this route (no route, or the path read as a malformed hash): ask no more.
      if (!(error.code === 'NOT_FOUND' && error.message.startsWith('chunk '))) this.batchGets = false;
      return null;
    }
    this.onBlockBytes?.(raw.body.length);
    const lengths = chunkLengths(raw.headers['brume-chunk-lengths'], hashes.length, raw.body.length);
    return raw.body.buffer === into.buffer ? lengths : null;
  }

  /**
   * A JSON exchange that blocks wait on (an upload, a `missing` look-up), under the block
   * requests' idle limit.
   */
  async blockJson<T>(path: string, options: RequestOptions): Promise<T> {
    return this.json<T>(path, this.blockOptions(options));
  }

  private blockOptions(options: RequestOptions): RequestOptions {
    return { ...options, idleMs: this.blockIdleMs };
  }

  /** Closes the kept-alive connections (they never hold the process open: idle sockets are unref'd). */
  close(): void {
    this.agent.destroy();
    this.reader?.close();
  }
}

/**
 * Reads a whole body into one buffer sized by Content-Length when the server sends it: `into`
 * when given and large enough (a view of it is returned), else a new one.
 */
async function readAll(res: http.IncomingMessage, into?: Uint8Array): Promise<Uint8Array> {
  const declared = Number(res.headers['content-length'] ?? Number.NaN);
  if (!Number.isSafeInteger(declared) || declared < 0) {
    const parts: Buffer[] = [];
    for await (const chunk of res as AsyncIterable<Buffer>) parts.push(chunk);
    const whole = Buffer.concat(parts);
    // Chunked (a proxy in between): the caller still gets its bytes in `into` when they fit.
    if (into === undefined || whole.length > into.length) return whole;
    copyBytes(into, 0, whole);
    return into.subarray(0, whole.length);
  }
  const out =
    into !== undefined && declared <= into.length ? into.subarray(0, declared) : Buffer.allocUnsafe(declared);
  let at = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (at + chunk.length > declared) throw new Error('response longer than its Content-Length');
    copyBytes(out, at, chunk);
    at += chunk.length;
  }
  if (at !== declared) throw new Error(`response ended after ${at} of ${declared} bytes`);
  return out;
}

/** The `Brume-Chunk-Lengths` of a multi-chunk response, checked against the ask and the body. */
function chunkLengths(header: string | string[] | undefined, count: number, bodyLength: number): number[] {
  const lengths = typeof header === 'string' ? header.split(',').map(Number) : [];
  const sum = lengths.reduce((a, b) => a + b, 0);
  if (lengths.length !== count || !lengths.every(Number.isSafeInteger) || sum !== bodyLength)
    throw new TransferClientError(
      'INVALID_RESPONSE',
      200,
      `chunk lengths ${String(header)} do not match ${count} chunks in ${bodyLength} bytes`,
    );
  return lengths;
}

/** A view of the caller's bytes (no copy); a SharedArrayBuffer-backed view is written as is. */
function toBuffer(bytes: Uint8Array | undefined): Buffer | undefined {
  if (bytes === undefined) return undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function errorOf(res: RawResponse): TransferClientError {
  const text = Buffer.from(res.body.buffer, res.body.byteOffset, res.body.length).toString('utf8');
  try {
    const body = JSON.parse(text) as { code?: string; message?: string } & Record<string, unknown>;
    const { code, message, ...details } = body;
    return new TransferClientError(code ?? `HTTP_${res.status}`, res.status, message ?? text, details);
  } catch {
    return new TransferClientError(
      `HTTP_${res.status}`,
      res.status,
      text.slice(0, 200) || `HTTP ${res.status}`,
    );
  }
}
