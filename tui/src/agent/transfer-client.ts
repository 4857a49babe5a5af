/**
 * The client side of the data plane (server/src/transfer/PROTOCOL.md): fetch with the task token
 * and MAC, typed errors from `{code, message}` bodies, and retries with backoff on connection
 * errors and 429/502/503/504 within a window (a restarting server comes back within it).
 */
import { setTimeout as sleep } from 'node:timers/promises';

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

export interface TransferClientOptions {
  readonly server: string;
  readonly mac: string;
  /** How long a request keeps retrying transient failures (default 120 s, the token lifetime). */
  readonly retryWindowMs?: number;
  /** Counts compressed bytes received for blocks (tests and benchmarks read it). */
  readonly onBlockBytes?: (bytes: number) => void;
}

export interface RequestOptions {
  readonly method?: string;
  readonly json?: unknown;
  readonly body?: Uint8Array;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
  /** Do not retry (a commit whose outcome would be ambiguous on a retry is still retried: it is idempotent until it succeeds). */
  readonly noRetry?: boolean;
}

export class TransferClient {
  readonly base: string;
  readonly mac: string;
  token: string | null = null;
  private readonly retryWindowMs: number;
  private readonly onBlockBytes: ((bytes: number) => void) | undefined;

  constructor(options: TransferClientOptions) {
    this.base = options.server.replace(/\/+$/, '');
    this.mac = options.mac;
    this.retryWindowMs = options.retryWindowMs ?? 120_000;
    this.onBlockBytes = options.onBlockBytes;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'brume-mac': this.mac,
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      ...extra,
    };
  }

  /** One request with retries; resolves the Response of a 2xx, throws TransferClientError otherwise. */
  async request(path: string, options: RequestOptions = {}): Promise<Response> {
    const started = Date.now();
    let delay = 200;
    for (;;) {
      options.signal?.throwIfAborted();
      let res: Response | null = null;
      let failure: unknown = null;
      try {
        res = await fetch(`${this.base}${path}`, {
          method: options.method ?? (options.json !== undefined || options.body ? 'POST' : 'GET'),
          headers: this.headers({
            ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(options.body ? { 'content-type': 'application/zstd' } : {}),
            ...options.headers,
          }),
          // A SharedArrayBuffer-backed view is not a BodyInit: the engine's slots may be shared.
          body: options.json !== undefined ? JSON.stringify(options.json) : toBody(options.body),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        failure = error;
      }
      if (res?.ok) return res;
      const transient = res === null || RETRY_STATUS.has(res.status);
      if (!transient || options.noRetry || Date.now() - started > this.retryWindowMs) {
        if (res === null)
          throw new TransferClientError(
            'UNREACHABLE',
            0,
            `server unreachable: ${(failure as Error).message}`,
          );
        throw await errorOf(res);
      }
      if (res) await res.body?.cancel().catch(() => undefined);
      await sleep(delay, undefined, options.signal ? { signal: options.signal } : {});
      delay = Math.min(delay * 2, 3000);
    }
  }

  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.request(path, options);
    return (await res.json()) as T;
  }

  /** The compressed chunk named `hash` of the task's image. */
  async getBlock(hash: string, signal?: AbortSignal): Promise<Uint8Array> {
    const res = await this.request(`/v1/deploy/blocks/${hash}`, signal ? { signal } : {});
    const bytes = new Uint8Array(await res.arrayBuffer());
    this.onBlockBytes?.(bytes.length);
    return bytes;
  }
}

function toBody(bytes: Uint8Array | undefined): Uint8Array<ArrayBuffer> | undefined {
  if (bytes === undefined) return undefined;
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

async function errorOf(res: Response): Promise<TransferClientError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { code?: string; message?: string } & Record<string, unknown>;
    const { code, message, ...details } = body;
    return new TransferClientError(code ?? `HTTP_${res.status}`, res.status, message ?? text, details);
  } catch {
    return new TransferClientError(`HTTP_${res.status}`, res.status, text.slice(0, 200) || res.statusText);
  }
}
