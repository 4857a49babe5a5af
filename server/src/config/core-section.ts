import path from 'node:path';
import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();

/** The core server's settings, read from env names (flags map onto them). */
export const coreSection = z
  .object({
    PORT: port.default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    BRUME_DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    BRUME_IMAGES_DIR: z.string().min(1).optional(),
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    BRUME_LOG_LEVEL: z.enum(logLevels).optional(),
    BRUME_MAX_DEPTH: positiveInt.default(15),
    BRUME_MAX_ALIASES: positiveInt.default(30),
    BRUME_MAX_TOKENS: positiveInt.default(5000),
    BRUME_MAX_COST: positiveInt.default(5000),
    BRUME_SESSION_TTL_HOURS: positiveInt.default(12),
    BRUME_LOGIN_MAX_ATTEMPTS: positiveInt.default(5),
    BRUME_LOGIN_WINDOW_SECONDS: positiveInt.default(300),
    BRUME_TOKEN_RECHECK_SECONDS: positiveInt.default(30),
    BRUME_WS_INIT_TIMEOUT_MS: positiveInt.default(3000),
    BRUME_SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
    BRUME_MAX_CLIENTS: positiveInt.default(10),
    BRUME_HOST_OFFLINE_SECONDS: positiveInt.default(600),
  })
  .transform((e) => {
    const dataDir = path.resolve(e.BRUME_DATA_DIR);
    return {
      port: e.PORT,
      host: e.HOST,
      dataDir,
      databaseUrl: e.DATABASE_URL,
      imagesDir: path.resolve(e.BRUME_IMAGES_DIR ?? path.join(dataDir, 'images')),
      env: e.NODE_ENV,
      production: e.NODE_ENV === 'production',
      logLevel: e.BRUME_LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
      limits: {
        maxDepth: e.BRUME_MAX_DEPTH,
        maxAliases: e.BRUME_MAX_ALIASES,
        maxTokens: e.BRUME_MAX_TOKENS,
        maxCost: e.BRUME_MAX_COST,
      },
      auth: {
        sessionTtlMs: e.BRUME_SESSION_TTL_HOURS * 3_600_000,
        loginMaxAttempts: e.BRUME_LOGIN_MAX_ATTEMPTS,
        loginWindowSeconds: e.BRUME_LOGIN_WINDOW_SECONDS,
        tokenRecheckMs: e.BRUME_TOKEN_RECHECK_SECONDS * 1000,
      },
      wsInitTimeoutMs: e.BRUME_WS_INIT_TIMEOUT_MS,
      shutdownGraceMs: e.BRUME_SHUTDOWN_GRACE_MS,
      /** Unicast deploys and captures served at once (FOG's max clients); a MASTER storage node's setting wins. */
      maxClients: e.BRUME_MAX_CLIENTS,
      /** A host not heard from for this long is offline (FOG pings every 5 min: two missed pings). */
      hostOfflineAfterMs: e.BRUME_HOST_OFFLINE_SECONDS * 1000,
    };
  });

export type CoreConfig = z.output<typeof coreSection>;
