import path from 'node:path';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { pxeSection } from '../pxe/pxe-config.ts';
import { replicationSection } from '../replication/replication-config.ts';
import { storageSection } from '../storage/storage-config.ts';
import { wakeSection } from '../wake/wake-config.ts';
import { webhookSection } from '../webhooks/webhook-config.ts';
import { coreSection } from './core-section.ts';
import { multicastSection } from './multicast-section.ts';

/**
 * The configuration is a list of sections, each a zod schema over the same flat input (env names).
 * A later capability (PXE, transfer) adds its section here: one line, no other change.
 */
export const configSections = {
  core: coreSection,
  pxe: pxeSection,
  multicast: multicastSection,
  wake: wakeSection,
  replication: replicationSection,
  webhooks: webhookSection,
  storage: storageSection,
} as const;

export type ConfigSections = typeof configSections;
export type Config = Readonly<{ [K in keyof ConfigSections]: Readonly<z.output<ConfigSections[K]>> }>;

/** Every invalid value, reported at once. */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
    this.name = 'ConfigError';
  }
}

/** Command-line flags and the env names they set; flags win over env. */
const flagToEnv: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  'data-dir': 'BRUME_DATA_DIR',
  'database-url': 'DATABASE_URL',
  'images-dir': 'BRUME_IMAGES_DIR',
  'log-level': 'BRUME_LOG_LEVEL',
};

function flagsToEnv(argv: readonly string[]): Record<string, string> {
  const options = Object.fromEntries(
    Object.keys(flagToEnv).map((flag) => [flag, { type: 'string' as const }]),
  );
  const { values } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true });
  const env: Record<string, string> = {};
  for (const [flag, value] of Object.entries(values)) {
    const name = flagToEnv[flag];
    if (name && typeof value === 'string') env[name] = value;
  }
  return env;
}

/** Parses env + flags into a frozen Config, or throws ConfigError listing every problem. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  argv: readonly string[] = process.argv.slice(2),
): Config {
  const input = { ...env, ...flagsToEnv(argv) };
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(configSections)) {
    const result = schema.safeParse(input);
    if (result.success) out[name] = Object.freeze(result.data);
    else for (const issue of result.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as Config;
}

/** A config for tests and tools: defaults plus overrides, with the data dir made absolute. */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', BRUME_LOG_LEVEL: 'silent', ...env }, []);
}

export function resolveDataPath(config: Config, ...parts: string[]): string {
  return path.join(config.core.dataDir, ...parts);
}
