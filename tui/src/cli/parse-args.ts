/**
 * A small flag parser for the TUI commands (`--server URL`, `--flag`), with usage errors as typed
 * errors so the command exits with 2.
 */
export class UsageError extends Error {
  readonly code = 'USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  readonly values: readonly string[];
  readonly booleans?: readonly string[];
}

export function parseFlags(
  args: readonly string[],
  spec: FlagSpec,
): { values: Record<string, string>; flags: Set<string> } {
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [name, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s, 2) : [undefined, undefined];
    if (name === undefined) throw new UsageError(`unexpected argument '${arg}'`);
    if (spec.booleans?.includes(name)) {
      flags.add(name);
    } else if (spec.values.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
      values[name] = value;
    } else throw new UsageError(`unknown option --${name}`);
  }
  return { values, flags };
}
