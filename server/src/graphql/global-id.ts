import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';

export { encodeGlobalID };

/**
 * An opaque global id of the expected type → the raw id, or null for garbage or another type.
 * Mutations take `t.id()` and map null to their typed NotFound error (never a 500).
 */
export function decodeIdOf(globalId: string | number | bigint, typename: string): string | null {
  try {
    const { typename: actual, id } = decodeGlobalID(String(globalId));
    return actual === typename && id.length > 0 ? id : null;
  } catch {
    return null;
  }
}
