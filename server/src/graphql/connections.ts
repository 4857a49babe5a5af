import { resolveOffsetConnection } from '@pothos/plugin-relay';

export interface ConnectionArgs {
  readonly first?: number | null;
  readonly after?: string | null;
  readonly last?: number | null;
  readonly before?: string | null;
}

/** What a service's list function gets: a window over a stable ordering. */
export interface PageWindow {
  readonly offset: number;
  readonly limit: number;
}

export const maxPageSize = 200;
export const defaultPageSize = 50;

/**
 * Relay connection with `totalCount`, over offset cursors. The service supplies `count()` and
 * `list({ offset, limit })` (plain rows, stable order). Pair with `totalCountConnectionFields`.
 */
export async function resolveCountedConnection<T>(
  args: ConnectionArgs,
  source: { count: () => Promise<number>; list: (window: PageWindow) => Promise<readonly T[]> },
) {
  const [totalCount, connection] = await Promise.all([
    source.count(),
    resolveOffsetConnection(
      { args, defaultSize: defaultPageSize, maxSize: maxPageSize },
      ({ offset, limit }) => source.list({ offset, limit }),
    ),
  ]);
  return { ...connection, totalCount };
}
