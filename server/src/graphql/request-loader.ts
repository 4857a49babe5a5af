/**
 * Batch loading within one GraphQL request (DataLoader, the reference implementation of the
 * pattern): a field resolved for many parents in one response (each image's versions, each
 * version's last check, each task's version) reaches the database once per response instead of
 * once per parent. Batching only, no cache: a subscription keeps its context for every event it
 * sends, and each event must read fresh rows.
 */
import DataLoader from 'dataloader';
import type { Context } from './context.ts';

const perContext = new WeakMap<Context, Map<string, DataLoader<string, unknown>>>();

/**
 * The loader named `name` of this request: `batch` gets the distinct keys asked for in one tick
 * and returns, for each key in the same order, its value (or undefined).
 */
export function requestLoader<V>(
  ctx: Context,
  name: string,
  batch: (keys: readonly string[]) => Promise<readonly V[]>,
): DataLoader<string, V> {
  let loaders = perContext.get(ctx);
  if (loaders === undefined) {
    loaders = new Map();
    perContext.set(ctx, loaders);
  }
  let loader = loaders.get(name) as DataLoader<string, V> | undefined;
  if (loader === undefined) {
    loader = new DataLoader<string, V>(batch, { cache: false });
    loaders.set(name, loader as DataLoader<string, unknown>);
  }
  return loader;
}

/** Rows grouped under the keys asked for, in the keys' order (each key's rows in query order). */
export function groupByKeys<R>(
  keys: readonly string[],
  rows: readonly R[],
  keyOf: (row: R) => string,
): R[][] {
  const groups = new Map<string, R[]>(keys.map((k) => [k, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((k) => groups.get(k) ?? []);
}
