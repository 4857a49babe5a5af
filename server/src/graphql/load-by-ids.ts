/** Orders rows to match `ids` (null where missing), as Relay's `loadMany` expects. */
export function orderByIds<T, K extends string | number>(
  ids: readonly K[],
  rows: readonly T[],
  idOf: (row: T) => K,
): (T | null)[] {
  const byId = new Map(rows.map((row) => [idOf(row), row] as const));
  return ids.map((id) => byId.get(id) ?? null);
}
