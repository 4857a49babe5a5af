import type { InferSelectModel } from 'drizzle-orm';
import { inArray } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { onlyUuids } from '../hosts/sql-helpers.ts';
import type { Executor } from './database.ts';

/**
 * The rows of `table` whose uuid `id` column is among `ids`, in no order (a node loader orders
 * them). Ids that are not uuids find nothing instead of failing the query.
 */
export async function rowsByIds<T extends PgTable>(
  db: Executor,
  table: T,
  id: AnyPgColumn,
  ids: readonly string[],
): Promise<InferSelectModel<T>[]> {
  const valid = onlyUuids(ids);
  if (valid.length === 0) return [];
  return (await db
    .select()
    .from(table as PgTable)
    .where(inArray(id, valid))) as InferSelectModel<T>[];
}
