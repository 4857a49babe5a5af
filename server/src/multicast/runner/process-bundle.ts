/**
 * Multicast processes (the sender a session spawns, the receiver process) start from an esbuild
 * bundle of their entry instead of through tsx. tsx compiles every module on each start: 0.55 s
 * and 0.8 CPU-s for the sender here, spent inside the session's time on a 2-core server that is
 * also verifying and writing, against 0.18 s and 0.18 CPU-s for the bundle. esbuild is already
 * what tsx runs; here it runs once per server process.
 *
 * The bundle is built in memory and written under the repository's node_modules/.cache, named by
 * its content hash: concurrent servers (tests) share one file, and an edited source never runs
 * stale. npm packages stay imports, resolved from there like from the sources (zstd-napi's
 * native binding among them), and the codec's worker file is copied beside it (it is loaded by
 * URL, relative to the module). Where that directory cannot be written (a read-only install), the
 * entry runs through tsx as before.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const SERVER_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CACHE_DIR = resolve(SERVER_ROOT, '..', 'node_modules', '.cache', 'brume');
const WORKER_FILE = fileURLToPath(new URL('../../imaging/pipeline/chunk-worker.mjs', import.meta.url));

const built = new Map<string, string>();

/** Writes `bytes` to `path` unless it already holds them (temp, then rename: readers never see half). */
function writeOnce(path: string, bytes: Uint8Array): void {
  if (existsSync(path) && readFileSync(path).equals(bytes)) return;
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, bytes);
  renameSync(temp, path);
}

function bundle(entry: string): string {
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error(`esbuild produced nothing for ${entry}`);
  const digest = createHash('sha256').update(code).digest('hex').slice(0, 16);
  mkdirSync(CACHE_DIR, { recursive: true });
  const worker = readFileSync(WORKER_FILE);
  writeOnce(join(CACHE_DIR, basename(WORKER_FILE)), worker);
  const out = join(CACHE_DIR, `${basename(entry, '.ts')}.${digest}.mjs`);
  writeOnce(out, code);
  return out;
}

/**
 * The node arguments that run `entry` (a TypeScript entry file, absolute or relative to the
 * working directory): its bundle, or tsx where the bundle cannot be written.
 */
export function nodeArgsFor(entry: string): string[] {
  const absolute = resolve(entry);
  let out = built.get(absolute);
  if (out === undefined) {
    try {
      out = bundle(absolute);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw error;
      return ['--import', 'tsx', absolute];
    }
    built.set(absolute, out);
  }
  return [out];
}
