/** Shared pieces of the imaging benchmarks: fixture, options, anchors, medians, timing. */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);

export const FIXTURE_DIR = join(homedir(), '.cache', 'brume-fixtures', 'bench');
export const FIXTURE_DISK = join(FIXTURE_DIR, 'disk.img');
export const ANCHORS = '/work/shared/bench';
export const WORK = '/tmp/brume-bench-imaging';

export interface ImagingBenchOptions {
  readonly rounds: number;
  readonly blockSize: number;
  readonly level: number;
  readonly workers: number;
  readonly queueDepth: number;
  /** Partition to image (the anchor images one partition); 0 means the whole disk. */
  readonly partition: number;
}

export function parseBenchOptions(args: readonly string[]): ImagingBenchOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      rounds: { type: 'string', default: '3' },
      'block-size-kib': { type: 'string', default: '1024' },
      level: { type: 'string', default: '3' },
      workers: { type: 'string', default: '2' },
      'queue-depth': { type: 'string', default: '6' },
      partition: { type: 'string', default: '2' },
    },
  });
  return {
    rounds: Number(values.rounds),
    blockSize: Number(values['block-size-kib']) * 1024,
    level: Number(values.level),
    workers: Number(values.workers),
    queueDepth: Number(values['queue-depth']),
    partition: Number(values.partition),
  };
}

export function fixtureInfo(): Record<string, string> {
  const text = readFileSync(join(FIXTURE_DIR, 'info.txt'), 'utf8');
  if (!/^complete=yes$/m.test(text)) throw new Error(`bench fixture incomplete: ${FIXTURE_DIR}`);
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((l) => l.split('=', 2) as [string, string]),
  );
}

export function freshDir(name: string): string {
  const dir = join(WORK, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - start) / 1000, value };
}

/** Runs an anchor script and returns its JSON line. */
export async function anchor(script: string, args: string[]): Promise<Record<string, number | string>> {
  const { stdout } = await run('bash', [join(ANCHORS, script), ...args], { maxBuffer: 1 << 20 });
  const last = stdout.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(last) as Record<string, number | string>;
}

/** Reads a file once so both contenders start from a warm page cache. */
export async function warm(path: string): Promise<void> {
  await run('dd', [`if=${path}`, 'of=/dev/null', 'bs=4M', 'status=none']);
}

export async function blankFile(path: string, size: number): Promise<void> {
  rmSync(path, { force: true });
  await run('fallocate', ['-l', String(size), path]);
}

export function fileSize(path: string): number {
  return statSync(path).size;
}

export async function loadAverage(): Promise<string> {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export const round3 = (x: number) => Math.round(x * 1000) / 1000;
