/**
 * The only place tests read the environment. `BRUME_TEST_DATABASE_URL` (a PostgreSQL server URL
 * whose user may CREATE DATABASE) switches the database harness from PGlite to PostgreSQL.
 */
export const testDatabaseUrl: string | undefined = process.env.BRUME_TEST_DATABASE_URL || undefined;

/** Directory for cached test artifacts (the migrated PGlite dump). */
export const testCacheDir: string = process.env.BRUME_TEST_CACHE_DIR || '/tmp/brume-test-cache';
