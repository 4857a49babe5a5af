import type { PgAsyncDatabase, PgAsyncTransaction, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { EmptyRelations } from 'drizzle-orm/relations';

/** The drizzle handle every store receives; the same type for PGlite and postgres.js. */
export type Database = PgAsyncDatabase<PgQueryResultHKT, EmptyRelations>;
/** A transaction handle: stores accept `Database | Transaction` where they must join a caller's tx. */
export type Transaction = PgAsyncTransaction<PgQueryResultHKT, EmptyRelations>;
export type Executor = Database | Transaction;

/** Rows of a raw query: PGlite answers `{ rows }`, postgres.js an array. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

export type DatabaseKind = 'pglite' | 'postgres';

export interface OpenDatabase {
  readonly db: Database;
  readonly kind: DatabaseKind;
  /** Cheap liveness probe for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
