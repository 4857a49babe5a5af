import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';

export { encodeGlobalID };

/** Every Brume row id is a UUID or a positive integer (audit entries); anything else is junk. */
const rawIdPattern = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[1-9][0-9]{0,15})$/i;

export const isRawId = (id: string): boolean => rawIdPattern.test(id);

/**
 * An opaque global id of the expected type → the raw id, or null for garbage, another type or a
 * malformed raw id. Mutations take `t.id()` and map null to their typed NotFound error (never a 500,
 * never a malformed value reaching SQL).
 */
export function decodeIdOf(globalId: string | number | bigint, typename: string): string | null {
  try {
    const { typename: actual, id } = decodeGlobalID(String(globalId));
    return actual === typename && isRawId(id) ? id : null;
  } catch {
    return null;
  }
}

/** Relay's decoder for `node(id)`/`nodes(ids)`: junk is a client error, not an internal one. */
export function decodeGlobalIdStrict(globalId: string): { typename: string; id: string } {
  let decoded: { typename: string; id: string } | undefined;
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    decoded = undefined;
  }
  if (!decoded || !isRawId(decoded.id)) {
    throw new GraphQLError('Invalid id', { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return decoded;
}
