/**
 * The only place the terminal UI reads the environment: parsed once at start into a frozen object,
 * then passed down. Everything else receives these values as arguments so tests can choose them.
 */
export interface TuiEnv {
  /** Colours off: `NO_COLOR` set to anything non-empty, or `FORCE_COLOR=0`. Glyphs stay. */
  readonly noColor: boolean;
  /** Operator token given by the environment (`BRUME_TOKEN`), preferred over the stored one. */
  readonly token: string | undefined;
  /** Server URL given by the environment (`BRUME_SERVER`), used when `--server` is absent. */
  readonly server: string | undefined;
}

export function readTuiEnv(env: NodeJS.ProcessEnv = process.env): TuiEnv {
  const noColor = (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.FORCE_COLOR === '0';
  return Object.freeze({
    noColor,
    token: env.BRUME_TOKEN || undefined,
    server: env.BRUME_SERVER || undefined,
  });
}
