import { decodeIdOf } from '../graphql/global-id.ts';
import { isUuid } from './sql-helpers.ts';

/**
 * Decodes an opaque global id of the expected type to the row's UUID, or null for garbage, another
 * type, or a forged inner id that is not a UUID (which would otherwise reach SQL as a cast error).
 */
export function decodeUuidOf(globalId: string | number | bigint, typename: string): string | null {
  const id = decodeIdOf(globalId, typename);
  return id !== null && isUuid(id) ? id : null;
}
