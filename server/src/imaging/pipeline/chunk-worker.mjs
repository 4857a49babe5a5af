// Worker thread of the chunk codec pool: sha256 and zstd off the main thread.
// Plain JavaScript on purpose: worker threads do not inherit a loader registered at run time
// (tsx's register(), vitest), so this file must run under bare Node. Keep it in step with
// ../store/chunk-codec.ts (same hash, same zstd frame).
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import { compress } from 'zstd-napi';

// The low-level context decompresses straight into the shared block buffer: no allocation per block.
const dctx = new (createRequire(import.meta.url)('zstd-napi/binding').DCtx)();

function sha256(view) {
  return createHash('sha256').update(view).digest('hex');
}

function run(task) {
  switch (task.op) {
    case 'digest':
      return { hash: sha256(new Uint8Array(task.slot, 0, task.length)) };
    case 'compress': {
      const out = compress(new Uint8Array(task.slot, 0, task.length), { compressionLevel: task.level });
      return { compressed: out };
    }
    case 'decode': {
      const slot = new Uint8Array(task.slot);
      let length;
      try {
        length = dctx.decompress(slot, task.compressed);
      } catch (error) {
        return { corrupt: `zstd: ${error.message}` };
      }
      const hash = sha256(slot.subarray(0, length));
      if (hash !== task.hash) return { corrupt: `content hashes to ${hash}` };
      return { length };
    }
    default:
      throw new Error(`unknown op ${task.op}`);
  }
}

parentPort.on('message', (task) => {
  try {
    parentPort.postMessage({ id: task.id, ok: true, result: run(task) });
  } catch (error) {
    parentPort.postMessage({ id: task.id, ok: false, message: String(error?.message ?? error) });
  }
});
