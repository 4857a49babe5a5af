import {
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  isUnionType,
} from 'graphql';
import type { Role } from '../../server/src/auth/auth-table.ts';

export type RequiredScope = 'public' | Role | 'custom';

/** The least role a root field needs, read from the scopes Pothos recorded on the field. */
export function requiredScopeOf(field: GraphQLField<unknown, unknown>): RequiredScope {
  const scopes = (field.extensions as { pothosOptions?: { authScopes?: unknown } }).pothosOptions?.authScopes;
  if (!scopes || typeof scopes !== 'object') return 'custom';
  const s = scopes as Record<string, unknown>;
  if (s.public === true) return 'public';
  if (s.viewer === true) return 'VIEWER';
  if (s.operator === true) return 'OPERATOR';
  if (s.admin === true) return 'ADMIN';
  return 'custom';
}

/** A value that passes GraphQL validation for `type` (resolvers never see it when auth refuses). */
export function sampleValue(type: GraphQLInputType, depth = 0): unknown {
  if (isNonNullType(type)) return sampleValue(type.ofType, depth);
  if (isListType(type)) return [sampleValue(type.ofType, depth + 1)];
  if (isEnumType(type)) return type.getValues()[0]?.value;
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) {
      if (isNonNullType(f.type) || depth < 2) out[f.name] = sampleValue(f.type, depth + 1);
    }
    return out;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
      case 'Float':
      case 'ByteCount':
        return 1;
      case 'Boolean':
        return false;
      case 'ID':
        return Buffer.from('Nothing:00000000-0000-0000-0000-000000000000').toString('base64');
      case 'DateTime':
        return '2030-01-01T00:00:00.000Z';
      case 'JSON':
        return {};
      default:
        return 'sample';
    }
  }
  return null;
}

/** `mutation($a: T!) { name(a: $a) { __typename } }` and its variables, for any root field. */
export function operationFor(
  schema: GraphQLSchema,
  kind: 'mutation' | 'query',
  field: GraphQLField<unknown, unknown>,
) {
  const defs = field.args.map((a) => `$${a.name}: ${a.type.toString()}`);
  const call = field.args.map((a) => `${a.name}: $${a.name}`);
  const variables = Object.fromEntries(field.args.map((a) => [a.name, sampleValue(a.type)]));
  const named = getNamedType(field.type);
  const selection = isUnionType(named) || 'getFields' in named ? ' { __typename }' : '';
  const head = defs.length ? `(${defs.join(', ')})` : '';
  const args = call.length ? `(${call.join(', ')})` : '';
  void schema;
  return { query: `${kind} ${head} { ${field.name}${args}${selection} }`, variables };
}
