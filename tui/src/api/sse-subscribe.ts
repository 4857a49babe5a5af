/**
 * GraphQL over SSE, "distinct connections" mode (what graphql-yoga serves on its endpoint): one
 * POST with `Accept: text/event-stream` per subscription, `event: next` messages carrying a
 * result, `event: complete` at the end. The fallback when WebSockets are blocked (proxies).
 */
export interface SseRequest {
  readonly query: string;
  readonly variables?: Record<string, unknown> | undefined;
  readonly operationName?: string | undefined;
}

export interface SseSink {
  next(value: unknown): void;
  error(err: unknown): void;
  complete(): void;
}

/** A server answered an SSE request with something else than an event stream. */
export class SseHttpError extends Error {
  readonly code = 'SSE_HTTP';
  readonly status: number;
  constructor(status: number, body: string) {
    super(`SSE subscription refused: HTTP ${status} ${body.slice(0, 200)}`);
    this.name = 'SseHttpError';
    this.status = status;
  }
}

/** Splits an SSE byte stream into events (`event:`/`data:` lines, blank-line separated). */
export function parseSseChunk(buffer: string): { events: { event: string; data: string }[]; rest: string } {
  const events: { event: string; data: string }[] = [];
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue; // keep-alive comment
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0 || event !== 'message') events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

/** Starts one subscription over SSE; returns the function that stops it. */
export function sseSubscribe(
  url: string,
  request: SseRequest,
  headers: () => Record<string, string>,
  sink: SseSink,
): () => void {
  const abort = new AbortController();
  (async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers() },
      body: JSON.stringify(request),
      signal: abort.signal,
    });
    if (!res.ok || !res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      throw new SseHttpError(res.status, await res.text().catch(() => ''));
    }
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const { events, rest } = parseSseChunk(buffer);
      buffer = rest;
      for (const e of events) {
        if (e.event === 'complete') return sink.complete();
        if (e.data) sink.next(JSON.parse(e.data));
      }
    }
    sink.complete();
  })().catch((err) => {
    if (!abort.signal.aborted) sink.error(err);
  });
  return () => abort.abort();
}
