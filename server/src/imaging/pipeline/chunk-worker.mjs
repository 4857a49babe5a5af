// Worker thread of the chunk codec pool: sha256 and zstd off the main thread.
// Plain JavaScript on purpose: worker threads do not inherit a loader registered at run time
// (tsx's register(), vitest), so this file must run under bare Node. Keep it in step with
// ../store/chunk-codec.ts (same hash, same zstd frame).
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { compress, decompress } from 'zstd-napi';

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
      let data;
      try {
        data = decompress(task.compressed);
      } catch (error) {
        return { corrupt: `zstd: ${error.message}` };
      }
      const hash = sha256(data);
      if (hash !== task.hash) return { corrupt: `content hashes to ${hash}` };
      if (data.length > task.slot.byteLength) return { corrupt: `decodes to ${data.length} bytes` };
      new Uint8Array(task.slot).set(data);
      return { length: data.length };
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
