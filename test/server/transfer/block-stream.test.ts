/**
 * `POST /v1/capture/stream` on the wire (PROTOCOL.md, Capture 4, "Block streams"): frames are
 * answered one line each as they are stored, a corrupt frame is refused alone, and faults that end
 * the stream (a bad head, a body cut inside a frame, a cancelled task) say so in a last line.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress } from 'zstd-napi';
import { frameHead } from '../../../tui/src/agent/block-streams.ts';
import {
  call,
  cancelTask,
  checkIn,
  createHost,
  createImage,
  startCapture,
  startTransferApp,
  type TransferApp,
} from './transfer-harness.ts';

let a: TransferApp;
beforeAll(async () => {
  a = await startTransferApp();
});
afterAll(() => a?.close());

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Auth {
  readonly token: string;
  readonly mac: string;
}

async function capturing(): Promise<{ auth: Auth; taskId: string }> {
  const host = await createHost(a);
  const image = await createImage(a);
  const task = await startCapture(a, host.id, image.id);
  const { token } = await checkIn(a, host.mac);
  const auth = { token: token as string, mac: host.mac };
  await call(a, 'POST', '/v1/task/start', { ...auth, json: { blocksTotal: 4, bytesTotal: 4 * 65536 } });
  return { auth, taskId: task.id };
}

/** A block's frame as the reference client writes it: head, then the zstd frame. */
function frame(seq: number, index: number, data: Uint8Array, name = sha(data)): Buffer {
  const compressed = new Uint8Array(compress(data));
  const head = frameHead(seq, index, { hash: name, compressed, size: data.length });
  return Buffer.concat([head, compressed]);
}

const block = (fill: number) => new Uint8Array(65536).fill(fill);

/**
 * A stream driven by the test: `write` sends bytes, `lines` fills as the answer comes, `done`
 * settles when the answer ends or the connection closes.
 */
function openStream(auth: Auth) {
  const lines: Record<string, unknown>[] = [];
  let status = 0;
  let text = '';
  const req = http.request(`${a.base}/v1/capture/stream`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${auth.token}`,
      'brume-mac': auth.mac,
      'content-type': 'application/vnd.brume.block-stream',
    },
  });
  const done = new Promise<void>((resolve) => {
    req.on('error', () => resolve());
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
          lines.push(JSON.parse(text.slice(0, nl)) as Record<string, unknown>);
          text = text.slice(nl + 1);
        }
      });
      res.on('end', () => {
        if (text.trim() !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
        resolve();
      });
      res.on('error', () => resolve());
      res.on('close', () => resolve());
    });
  });
  return {
    lines,
    status: () => status,
    write: (bytes: Uint8Array) => req.write(bytes),
    end: () => req.end(),
    done,
  };
}

async function untilLines(lines: unknown[], n: number) {
  const start = Date.now();
  while (lines.length < n) {
    if (Date.now() - start > 10_000) throw new Error(`${lines.length} of ${n} answer lines`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function missing(auth: Auth, hashes: string[]) {
  const r = await call(a, 'POST', '/v1/capture/missing', { ...auth, json: { hashes } });
  return r.body.missing as string[];
}

describe('a block stream', () => {
  it('answers each frame as it is stored, while the client is still sending, and refuses a corrupt frame alone', async () => {
    const { auth } = await capturing();
    const s = openStream(auth);
    // The first frame is answered before the body ends: the answers are not held to the end.
    s.write(frame(7, 0, block(1)));
    await untilLines(s.lines, 1);
    expect(s.status()).toBe(200);
    expect(s.lines[0]).toEqual({ seq: 7, hash: sha(block(1)), storedSize: expect.any(Number), added: true });
    // A frame named after other bytes, then a good one split across writes, then a repeat.
    s.write(frame(8, 1, block(2), sha(block(3))));
    const third = frame(9, 2, block(4));
    s.write(third.subarray(0, 30));
    s.write(third.subarray(30, 1000));
    s.write(third.subarray(1000));
    s.write(frame(10, 3, block(1)));
    s.end();
    await s.done;
    const bySeq = new Map(s.lines.map((l) => [l.seq, l]));
    expect(bySeq.get(8)).toMatchObject({ seq: 8, hash: sha(block(3)), code: 'HASH_MISMATCH' });
    expect(bySeq.get(9)).toMatchObject({ seq: 9, hash: sha(block(4)), added: true });
    expect(bySeq.get(10)).toMatchObject({ seq: 10, hash: sha(block(1)), added: false });
    expect(s.lines.at(-1)).toEqual({ end: true, frames: 4 });
    expect(await missing(auth, [sha(block(1)), sha(block(3)), sha(block(4))])).toEqual([sha(block(3))]);
  });

  it('ends with INVALID_REQUEST when a head is not a frame head, after storing the frames before it', async () => {
    const { auth } = await capturing();
    const s = openStream(auth);
    s.write(frame(1, 0, block(11)));
    const bad = frame(2, 1, block(12));
    bad.write('XXXX', 0, 'latin1');
    s.write(bad);
    s.write(frame(3, 2, block(13)));
    s.end();
    await s.done;
    expect(s.lines[0]).toMatchObject({ seq: 1, added: true });
    expect(s.lines.at(-1)).toMatchObject({ code: 'INVALID_REQUEST', message: 'not a block frame' });
    expect(s.lines.some((l) => l.seq === 3)).toBe(false);
    expect(await missing(auth, [sha(block(11)), sha(block(13))])).toEqual([sha(block(13))]);
  });

  it('ends with INVALID_REQUEST when the body stops inside a frame, and stores nothing of it', async () => {
    const { auth } = await capturing();
    const s = openStream(auth);
    const cut = frame(1, 0, block(21));
    s.write(cut.subarray(0, cut.length - 5));
    s.end();
    await s.done;
    expect(s.lines).toEqual([{ code: 'INVALID_REQUEST', message: 'the body ends inside a frame' }]);
    expect(await missing(auth, [sha(block(21))])).toEqual([sha(block(21))]);
  });

  it('ends with TASK_ENDED once the task is cancelled, whatever the client goes on sending', async () => {
    const { auth, taskId } = await capturing();
    const s = openStream(auth);
    s.write(frame(1, 0, block(31)));
    await untilLines(s.lines, 1);
    await cancelTask(a, taskId);
    // The token's task row is cached for half a second at most.
    await new Promise((r) => setTimeout(r, 600));
    s.write(frame(2, 1, block(32)));
    await s.done;
    expect(s.lines[0]).toMatchObject({ seq: 1, added: true });
    expect(s.lines.at(-1)).toMatchObject({ code: 'TASK_ENDED', state: 'CANCELLED' });
  });

  it('is refused before any frame, as any request, for a token shown with another MAC', async () => {
    const { auth } = await capturing();
    const wrongMac = openStream({ ...auth, mac: '02:00:00:00:00:01' });
    wrongMac.end();
    await wrongMac.done;
    expect(wrongMac.status()).toBe(403);
    expect(wrongMac.lines).toMatchObject([{ code: 'TOKEN_WRONG_MAC' }]);
  });
});
