// The floor probe's client: only the work a capture's client cannot skip. Two worker threads split
// the planned blocks; each reads a block, zeroes its unused ranges, hashes it (the name the server
// is asked about), compresses it with zstd at the given level and sends it as one frame on its own
// TCP connection, then waits for the server's answer. Prints {wall_s, cpu_s} as one JSON line.
// usage: node client.mjs DISK PLAN_JSON PORT LEVEL WORKERS
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

async function main() {
  const started = performance.now();
  const [disk, planPath, port, level, workers] = process.argv.slice(2);
  const plan = JSON.parse(fs.readFileSync(planPath, 'utf8'));
  const count = Number(workers);
  await Promise.all(
    Array.from({ length: count }, (_, w) => {
      const blocks = plan.filter((_, i) => i % count === w);
      const worker = new Worker(new URL(import.meta.url), {
        workerData: { disk, blocks, port: Number(port), level: Number(level) },
      });
      return new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`sender ${w} exited with ${code}`)));
      });
    }),
  );
  const cpu = process.cpuUsage();
  const line = { wall_s: (performance.now() - started) / 1000, cpu_s: (cpu.user + cpu.system) / 1e6 };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function send() {
  const binding = createRequire(import.meta.url)('zstd-napi/binding');
  const cctx = new binding.CCtx();
  const { disk, blocks, port, level } = workerData;
  const fd = fs.openSync(disk, 'r');
  const block = new Uint8Array(64 << 20);
  const frame = new Uint8Array(binding.compressBound(block.length));
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const sent = new Set();
  for (const { offset, length, used } of blocks) {
    fs.readSync(fd, block, 0, length, offset);
    let end = 0;
    for (const [from, size] of used) {
      block.fill(0, end, from);
      end = from + size;
    }
    block.fill(0, end, length);
    const hash = createHash('sha256').update(block.subarray(0, length)).digest();
    const hex = hash.toString('hex');
    if (sent.has(hex)) continue;
    sent.add(hex);
    const n = cctx.compress(frame, block.subarray(0, length), level);
    const message = Buffer.allocUnsafe(36 + n);
    hash.copy(message, 0);
    message.writeUInt32LE(n, 32);
    message.set(frame.subarray(0, n), 36);
    if (!socket.write(message)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  const answered = new Promise((resolve) => socket.once('data', resolve));
  socket.end();
  await answered;
  fs.closeSync(fd);
  parentPort.postMessage('sent');
}

await (isMainThread ? main() : send());
