/** Body reading with limits and JSON/error responses for the data plane's Node handlers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { copyBytes } from '../imaging/copy-bytes.ts';
import type { SharedBuffers } from './limits.ts';
import { TransferError } from './transfer-errors.ts';

export const KIB = 1024;
export const MIB = 1024 * KIB;

function declaredTooLarge(req: IncomingMessage, limit: number): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > limit;
}

/** Reads the whole body, refusing past `limit` bytes (declared or streamed). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (declaredTooLarge(req, limit)) throw tooLarge(limit);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}

function tooLarge(limit: number): TransferError {
  return new TransferError('BODY_TOO_LARGE', `request body over ${limit} bytes`, { limit });
}

/** Reads and validates a JSON body; any problem is an INVALID_REQUEST naming the fields. */
export async function readJson<T>(req: IncomingMessage, limit: number, schema: z.ZodType<T>): Promise<T> {
  const body = await readBody(req, limit);
  let raw: unknown;
  try {
    raw = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new TransferError('INVALID_REQUEST', 'body is not JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    throw new TransferError('INVALID_REQUEST', issues.join('; '));
  }
  return parsed.data;
}

/**
 * Reads a block body into a buffer from `buffers` (SharedArrayBuffer-backed: the codec workers
 * verify it in place, no copy), sized by Content-Length when declared; refuses past `limit` bytes.
 * The caller gives the buffer back when done.
 */
export async function readSharedBody(
  req: IncomingMessage,
  limit: number,
  buffers: SharedBuffers,
): Promise<Uint8Array> {
  if (declaredTooLarge(req, limit)) throw tooLarge(limit);
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (!Number.isSafeInteger(declared)) {
    const whole = await readBody(req, limit);
    const out = buffers.take(whole.length);
    copyBytes(out, 0, whole);
    return out;
  }
  const out = buffers.take(declared);
  let at = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      if (at + chunk.length > declared)
        throw new TransferError('INVALID_REQUEST', 'body longer than declared');
      copyBytes(out, at, chunk);
      at += chunk.length;
    }
    if (at !== declared) throw new TransferError('INVALID_REQUEST', 'body shorter than declared');
  } catch (error) {
    buffers.give(out);
    throw error;
  }
  return out;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: TransferError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = error.code === 'BUSY' ? { 'retry-after': '1' } : {};
  // A refused upload leaves its body unread: close the connection rather than drain megabytes.
  if (error.status === 413 || error.status === 507) headers.connection = 'close';
  sendJson(res, error.status, { code: error.code, message: error.message, ...error.details }, headers);
}

export function clientAddress(req: IncomingMessage): string | null {
  return req.socket.remoteAddress ?? null;
}
