import {
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  isIntrospectionType,
  isObjectType,
} from 'graphql';

export class UnscopedFieldsError extends Error {
  readonly code = 'UNSCOPED_FIELDS';
  readonly fields: readonly string[];
  constructor(fields: readonly string[]) {
    super(
      `Deny by default: these fields have no auth scope (add authScopes to the field or its type):\n  ${fields.join('\n  ')}`,
    );
    this.name = 'UnscopedFieldsError';
    this.fields = fields;
  }
}

interface PothosExtensions {
  readonly pothosOptions?: { readonly authScopes?: unknown; readonly skipTypeScopes?: boolean };
}

const hasScopes = (holder: { extensions?: unknown } | undefined): boolean =>
  (holder?.extensions as PothosExtensions | undefined)?.pothosOptions?.authScopes !== undefined;

const rootTypes = (schema: GraphQLSchema): Set<GraphQLNamedType> =>
  new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(
      (t): t is NonNullable<typeof t> => t != null,
    ),
  );

/**
 * Lists every field with no effective auth scope. Root fields (Query/Mutation/Subscription) need
 * their own scope; other object fields inherit their type's scope. Pothos keeps the options it was
 * given in `extensions.pothosOptions`, which is what scope-auth enforces at run time.
 */
export function findUnscopedFields(schema: GraphQLSchema): string[] {
  const roots = rootTypes(schema);
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || isIntrospectionType(type)) continue;
    const typeScoped = !roots.has(type) && hasScopes(type);
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
      if (!typeScoped && !hasScopes(field)) missing.push(`${type.name}.${field.name}`);
    }
  }
  return missing;
}

/** Refuses to build a schema that has an unscoped field: deny by default, enforced at start. */
export function assertEveryFieldScoped(schema: GraphQLSchema): void {
  const missing = findUnscopedFields(schema);
  if (missing.length > 0) throw new UnscopedFieldsError(missing);
}
