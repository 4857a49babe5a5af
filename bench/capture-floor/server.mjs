// The floor probe's server: only the work a capture's server cannot skip. Frames arrive on raw TCP
// as [32-byte sha256][u32 LE length][zstd frame]; each is decoded and hashed again (the issue's
// "verified against their hash before they are stored"), written to a temp file, fsynced and
// renamed into a one-level fan-out; each directory is fsynced once when its connection ends, and
// only then is the connection's one-byte answer sent. No HTTP, database, progress or manifest.
// Plain JavaScript so it runs under bare Node with nothing loaded.
// usage: node server.mjs STORE_DIR PORT [--no-verify]
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';

const binding = createRequire(import.meta.url)('zstd-napi/binding');
const dctx = new binding.DCtx();
const decoded = new Uint8Array(64 << 20);
const [storeDir, port, flag] = process.argv.slice(2);
const verify = flag !== '--no-verify';
const stored = new Set();
const madeDirs = new Set();
const dirtyDirs = new Set();
let inFlight = 0;
const idleWaiters = [];

function settled() {
  inFlight -= 1;
  if (inFlight > 0) return;
  for (const wake of idleWaiters.splice(0)) wake();
}

function idle() {
  return inFlight === 0 ? Promise.resolve() : new Promise((wake) => idleWaiters.push(wake));
}

function store(claimed, frame) {
  let hash = claimed;
  if (verify) {
    const n = dctx.decompress(decoded, frame);
    hash = createHash('sha256').update(decoded.subarray(0, n)).digest();
    if (!hash.equals(claimed)) throw new Error('a frame does not hash to its name');
  }
  const hex = hash.toString('hex');
  if (stored.has(hex)) return;
  stored.add(hex);
  const dir = `${storeDir}/${hex.slice(0, 2)}`;
  if (!madeDirs.has(dir)) {
    fs.mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
  }
  dirtyDirs.add(dir);
  const temp = `${dir}/.${hex}.tmp`;
  const fd = fs.openSync(temp, 'w');
  fs.writeSync(fd, frame);
  inFlight += 1;
  // The fsync goes to the thread pool, as the real store's does: the main thread keeps decoding.
  fs.fsync(fd, (error) => {
    if (error) throw error;
    fs.closeSync(fd);
    fs.renameSync(temp, `${dir}/${hex}`);
    settled();
  });
}

const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  let pending = [];
  let pendingBytes = 0;
  let name = null;
  let need = 36;
  socket.on('data', (chunk) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes < need) return;
    const bytes = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    let at = 0;
    while (bytes.length - at >= need) {
      if (name === null) {
        name = Buffer.from(bytes.subarray(at, at + 32));
        need = bytes.readUInt32LE(at + 32);
        at += 36;
      } else {
        store(name, bytes.subarray(at, at + need));
        at += need;
        name = null;
        need = 36;
      }
    }
    const rest = bytes.subarray(at);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
  });
  socket.on('end', async () => {
    await idle();
    for (const dir of dirtyDirs) {
      const fd = fs.openSync(dir, 'r');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
    }
    dirtyDirs.clear();
    socket.end(Buffer.from([1]));
  });
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
