import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import type { Database, OpenDatabase } from '../../server/src/db/database.ts';
import { migrationsFolder, openDatabase } from '../../server/src/db/db.ts';
import { testCacheDir, testDatabaseUrl } from './test-env.ts';

export interface TestDatabase extends OpenDatabase {
  /** Rows per table and a digest of their content, to prove a refused call changed nothing. */
  snapshot(options?: { exclude?: readonly string[] }): Promise<Record<string, string>>;
}

/** Changes whenever a migration changes, so caches and templates never go stale. */
function migrationsDigest(): string {
  const hash = createHash('sha256');
  for (const dir of fs.readdirSync(migrationsFolder).sort()) {
    const file = path.join(migrationsFolder, dir, 'migration.sql');
    if (fs.existsSync(file)) hash.update(dir).update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Migrates an in-memory PGlite once and caches its dump; later files load it (~1 s, no initdb). */
async function migratedPgliteDump(): Promise<Blob> {
  const file = path.join(testCacheDir, `pglite-${migrationsDigest()}.tar.gz`);
  if (!fs.existsSync(file)) {
    const scratch = await PGlite.create();
    const migrated = await openDatabase({ pglite: scratch });
    const dump = await scratch.dumpDataDir('gzip');
    await migrated.close();
    fs.mkdirSync(testCacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, file); // atomic: parallel workers never read a half-written dump
  }
  return new Blob([fs.readFileSync(file)]);
}

async function pgliteTestDatabase(): Promise<OpenDatabase> {
  const client = await PGlite.create({ loadDataDir: await migratedPgliteDump() });
  return openDatabase({ pglite: client, migrate: false });
}

/**
 * PostgreSQL: a template database migrated once (under an advisory lock, workers race), then a
 * fresh database per test file cloned from it, dropped on close.
 */
async function postgresTestDatabase(serverUrl: string): Promise<OpenDatabase> {
  const template = `brume_template_${migrationsDigest()}`;
  const name = `brume_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin`select pg_advisory_lock(727274)`;
    const [exists] = await admin`select 1 from pg_database where datname = ${template}`;
    if (!exists) {
      await admin.unsafe(`create database "${template}"`);
      const migrated = await openDatabase({
        databaseUrl: withDatabase(serverUrl, template),
        maxConnections: 1,
      });
      await migrated.close();
    }
    await admin.unsafe(`create database "${name}" template "${template}"`);
    await admin`select pg_advisory_unlock(727274)`;
  } finally {
    await admin.end();
  }
  const opened = await openDatabase({
    databaseUrl: withDatabase(serverUrl, name),
    migrate: false,
    maxConnections: 4,
  });
  return {
    ...opened,
    async close() {
      await opened.close();
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      await dropper.end();
    },
  };
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function snapshotOf(db: Database, exclude: readonly string[]): Promise<Record<string, string>> {
  const tables = (await db.execute(
    sql`select tablename from pg_tables where schemaname = 'public' order by tablename`,
  )) as unknown as { rows?: { tablename: string }[] } | { tablename: string }[];
  const names = (Array.isArray(tables) ? tables : (tables.rows ?? [])).map((r) => r.tablename);
  const out: Record<string, string> = {};
  for (const table of names.filter((t) => !exclude.includes(t))) {
    const result = (await db.execute(
      sql`select count(*)::int as n, coalesce(md5(string_agg(t::text, '|' order by t::text)), '') as digest from ${sql.identifier(table)} t`,
    )) as unknown as { rows?: { n: number; digest: string }[] } | { n: number; digest: string }[];
    const row = (Array.isArray(result) ? result : (result.rows ?? []))[0];
    out[table] = `${row?.n}:${row?.digest}`;
  }
  return out;
}

/** A fresh, migrated database for one test file: PGlite, or PostgreSQL with BRUME_TEST_DATABASE_URL. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const opened = testDatabaseUrl ? await postgresTestDatabase(testDatabaseUrl) : await pgliteTestDatabase();
  return {
    ...opened,
    snapshot: (options = {}) => snapshotOf(opened.db, options.exclude ?? []),
  };
}

export const testDatabaseKind = (): 'pglite' | 'postgres' => (testDatabaseUrl ? 'postgres' : 'pglite');
