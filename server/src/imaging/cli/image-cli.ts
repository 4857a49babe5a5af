/**
 * `brume image <capture|deploy|verify|info|gc>`: a thin edge over the engine. Exit codes: 0 ok,
 * 1 failure, 2 usage (bad flags, invalid names). The engine never prints; this module does.
 */
import { parseArgs } from 'node:util';
import { InvalidBlockSizeError } from '../blocks/block-plan.ts';
import { InvalidImageNameError } from '../manifest/manifest-errors.ts';
import type { CliIo } from './cli-output.ts';
import { captureCommand, deployCommand, gcCommand, infoCommand, verifyCommand } from './image-commands.ts';

const USAGE = `usage: brume image <command> [options]

  capture --disk PATH --store DIR --name NAME [--partition N]... [--block-size-kib N] [--level N] [--workers N]
  deploy  --store DIR --name NAME --disk PATH [--version N] [--verify] [--done-map PATH]
  verify  --store DIR --name NAME [--version N]
  info    --store DIR --name NAME [--version N]
  gc      --store DIR [--grace-hours H] [--dry-run]

  --json  one machine-readable JSON line on stdout
`;

class UsageError extends Error {
  readonly code = 'USAGE';
}

const OPTIONS = {
  disk: { type: 'string' },
  store: { type: 'string' },
  name: { type: 'string' },
  version: { type: 'string' },
  partition: { type: 'string', multiple: true },
  'block-size-kib': { type: 'string' },
  level: { type: 'string' },
  workers: { type: 'string' },
  verify: { type: 'boolean', default: false },
  'done-map': { type: 'string' },
  'grace-hours': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function need(values: Values, key: 'disk' | 'store' | 'name'): string {
  const v = values[key];
  if (v === undefined || v === '') throw new UsageError(`--${key} is required`);
  return v;
}

function int(value: string | undefined, flag: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${flag} wants an integer >= ${min}`);
  return n;
}

function dispatch(command: string | undefined, v: Values, signal: AbortSignal, io: CliIo): Promise<number> {
  const common = { store: need(v, 'store'), json: v.json, signal, io };
  const version = int(v.version, 'version', 1);
  const kib = int(v['block-size-kib'], 'block-size-kib', 1);
  switch (command) {
    case 'capture':
      return captureCommand({
        ...common,
        disk: need(v, 'disk'),
        name: need(v, 'name'),
        ...(kib === undefined ? {} : { blockSize: kib * 1024 }),
        ...(v.level === undefined ? {} : { level: int(v.level, 'level', 1) as number }),
        ...(v.workers === undefined ? {} : { workers: int(v.workers, 'workers') as number }),
        partitions: (v.partition ?? []).map((p) => int(p, 'partition') as number),
      });
    case 'deploy':
      return deployCommand({
        ...common,
        disk: need(v, 'disk'),
        name: need(v, 'name'),
        verify: v.verify,
        ...(version === undefined ? {} : { version }),
        ...(v['done-map'] === undefined ? {} : { doneMap: v['done-map'] }),
      });
    case 'verify':
      return verifyCommand({
        ...common,
        name: need(v, 'name'),
        ...(version === undefined ? {} : { version }),
      });
    case 'info':
      return infoCommand({ ...common, name: need(v, 'name'), ...(version === undefined ? {} : { version }) });
    case 'gc':
      return gcCommand({
        ...common,
        graceHours: int(v['grace-hours'], 'grace-hours') ?? 6,
        dryRun: v['dry-run'],
      });
    default:
      throw new UsageError(command === undefined ? 'a command is required' : `unknown command '${command}'`);
  }
}

export async function imageCli(args: string[], io: CliIo = process): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let json = args.includes('--json');
  try {
    const { values, positionals } = parseArgs({
      args,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    json = values.json;
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    return await dispatch(positionals[0], values, controller.signal, io);
  } catch (error) {
    const usage = isUsageError(error);
    const e = error as Error & { code?: string };
    if (json)
      io.stdout.write(`${JSON.stringify({ error: { code: e.code ?? 'ERROR', message: e.message } })}\n`);
    io.stderr.write(`brume image: ${e.message}\n${usage ? USAGE : ''}`);
    return usage ? 2 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function isUsageError(error: unknown): boolean {
  if (
    error instanceof UsageError ||
    error instanceof InvalidImageNameError ||
    error instanceof InvalidBlockSizeError
  ) {
    return true;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
