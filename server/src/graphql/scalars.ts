import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';

/** ISO-8601 instant; resolvers return `Date` (drizzle timestamps) or an ISO string. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant, as an ISO-8601 string in UTC (e.g. 2026-11-25T21:52:00.000Z).',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue(value) {
    return parseDate(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return parseDate(ast.value);
  },
});

function parseDate(value: unknown): Date {
  if (typeof value !== 'string') throw new GraphQLError('DateTime must be an ISO-8601 string');
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new GraphQLError(`Invalid DateTime: ${value.slice(0, 40)}`);
  return date;
}

/** Free-form JSON (inventory blobs, manifests' metadata). */
export const JsonScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

/**
 * Sizes and counters in bytes. A JSON number (exact up to 2^53 bytes = 8 PiB), never a string, so
 * clients do arithmetic directly; resolvers may return number or bigint (PostgreSQL int8).
 */
export const ByteCountScalar = new GraphQLScalarType<number, number>({
  name: 'ByteCount',
  description: 'A non-negative count of bytes, exact up to 2^53 (8 PiB), as a JSON number.',
  serialize(value) {
    return toByteCount(typeof value === 'bigint' ? Number(value) : Number(value));
  },
  parseValue(value) {
    if (typeof value !== 'number') throw new GraphQLError('ByteCount must be a number');
    return toByteCount(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.INT) throw new GraphQLError('ByteCount must be an integer literal');
    return toByteCount(Number(ast.value));
  },
});

function toByteCount(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new GraphQLError('ByteCount must be a safe non-negative integer');
  return n;
}
