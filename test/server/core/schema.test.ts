import { readFileSync } from 'node:fs';
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printedSchema, schemaFile } from '../../../server/src/graphql/print-schema.ts';
import { buildSchema } from '../../../server/src/graphql/schema.ts';
import { findUnscopedFields } from '../../../server/src/graphql/scope-check.ts';

describe('schema', () => {
  it('Given the code, then schema.graphql is up to date (run `npm run schema` when this fails)', () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(printedSchema());
  });

  it('Given the built schema, then every field has an auth scope (deny by default)', () => {
    expect(findUnscopedFields(buildSchema())).toEqual([]);
  });

  it('Given a field without any scope, then the scope check names it', () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { leak: { type: GraphQLString } } }),
    });
    expect(findUnscopedFields(schema)).toEqual(['Query.leak']);
  });

  it('Given the contract, then the names other clients use exist', () => {
    const sdl = printedSchema();
    for (const name of [
      'interface Error',
      'type LoginSuccess',
      'type CreateApiTokenSuccess',
      'login(input: LoginInput!)',
      'createApiToken(input: CreateApiTokenInput!)',
      'revokeApiToken(',
      'viewer: User',
      'auditLog(',
      'node(id: ID!): Node',
      'enum Role',
    ]) {
      expect(sdl).toContain(name);
    }
  });
});
