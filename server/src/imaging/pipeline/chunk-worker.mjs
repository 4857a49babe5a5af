// Worker thread of the chunk codec pool: sha256 and zstd off the main thread.
// Plain JavaScript on purpose: worker threads do not inherit a loader registered at run time
// (tsx's register(), vitest), so this file must run under bare Node. Keep it in step with
// ../store/chunk-codec.ts (same hash, same zstd frame).
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';

const binding = createRequire(import.meta.url)('zstd-napi/binding');
// The low-level context decompresses straight into the shared block buffer: no allocation per block.
const dctx = new binding.DCtx();
// Compression goes into one scratch buffer, then exactly the frame's bytes are copied out (the
// simple API allocated a compressBound-sized buffer per block and then copied it again).
const cctx = new binding.CCtx();
let scratch = new Uint8Array(0);

/** One zstd frame, as zstd-napi's compress() makes it (level only, content size in the header). */
function compressFrame(src, level) {
  const bound = binding.compressBound(src.length);
  if (scratch.length < bound) scratch = new Uint8Array(bound);
  const n = cctx.compress(scratch, src, level);
  return scratch.slice(0, n);
}

function sha256(view) {
  return createHash('sha256').update(view).digest('hex');
}

/** The task's bytes: `length` of them (default: its capacity) from `offset` in the shared slot. */
function bytesOf(task, length = task.capacity) {
  return new Uint8Array(task.slot, task.offset, length);
}

function run(task) {
  switch (task.op) {
    case 'digest':
      return { result: { hash: sha256(bytesOf(task, task.length)) } };
    case 'compress': {
      const out = compressFrame(bytesOf(task, task.length), task.level);
      // Moved, not cloned, to the main thread (a clone would copy every compressed byte once more):
      // `out` owns its whole ArrayBuffer (slice copies into a fresh one).
      return { result: { compressed: out }, transfer: [out.buffer] };
    }
    case 'compressInto': {
      const out = new Uint8Array(task.out, task.outOffset, task.outCapacity);
      return { result: { length: cctx.compress(out, bytesOf(task, task.length), task.level) } };
    }
    case 'decode': {
      const slot = bytesOf(task);
      let length;
      try {
        length = dctx.decompress(slot, task.compressed);
      } catch (error) {
        return { result: { corrupt: `zstd: ${error.message}` } };
      }
      const hash = sha256(slot.subarray(0, length));
      if (hash !== task.hash) return { result: { corrupt: `content hashes to ${hash}` } };
      return { result: { length } };
    }
    default:
      throw new Error(`unknown op ${task.op}`);
  }
}

parentPort.on('message', (task) => {
  try {
    const { result, transfer } = run(task);
    parentPort.postMessage({ id: task.id, ok: true, result }, transfer ?? []);
  } catch (error) {
    parentPort.postMessage({ id: task.id, ok: false, message: String(error?.message ?? error) });
  }
});
