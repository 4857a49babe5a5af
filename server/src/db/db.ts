import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { acquireDataDirLock } from './data-dir-lock.ts';
import type { Database, OpenDatabase } from './database.ts';

export const migrationsFolder = fileURLToPath(new URL('../../../drizzle', import.meta.url));

export interface OpenOptions {
  /** postgres:// URL; when absent, PGlite under `pgliteDir`. */
  readonly databaseUrl?: string | undefined;
  readonly pgliteDir?: string;
  /** An already-open PGlite (tests load one from a dump). */
  readonly pglite?: PGlite;
  readonly migrate?: boolean;
  readonly maxConnections?: number;
}

/** Opens PostgreSQL (postgres.js) when a URL is given, else embedded PGlite; applies migrations. */
export async function openDatabase(options: OpenOptions): Promise<OpenDatabase> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options);
  return openPglite(options);
}

async function openPostgres(url: string, options: OpenOptions): Promise<OpenDatabase> {
  const client = postgres(url, { max: options.maxConnections ?? 10, onnotice: () => {} });
  const db = drizzlePostgres({ client });
  if (options.migrate !== false) await migratePostgres(db, { migrationsFolder });
  return {
    db: db as unknown as Database,
    kind: 'postgres',
    ping: async () => void (await db.execute(sql`select 1`)),
    close: () => client.end({ timeout: 5 }),
  };
}

async function openPglite(options: OpenOptions): Promise<OpenDatabase> {
  let release = () => {};
  let client = options.pglite;
  if (!client) {
    if (!options.pgliteDir) throw new Error('openDatabase: pgliteDir or databaseUrl is required');
    release = acquireDataDirLock(path.dirname(options.pgliteDir));
    try {
      client = await PGlite.create(options.pgliteDir);
    } catch (err) {
      release();
      throw err;
    }
  }
  const owned = client;
  const db = drizzlePglite({ client: owned });
  if (options.migrate !== false) await migratePglite(db, { migrationsFolder });
  return {
    db: db as unknown as Database,
    kind: 'pglite',
    ping: async () => void (await owned.query('select 1')),
    close: async () => {
      try {
        if (!owned.closed) await owned.close();
      } finally {
        release();
      }
    },
  };
}
