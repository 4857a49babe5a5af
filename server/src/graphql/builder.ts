import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { GraphQLError } from 'graphql';
import type { Role } from '../auth/auth-table.ts';
import { roleAtLeastOf } from '../auth/roles.ts';
import type { Context, Viewer } from './context.ts';
import { decodeGlobalIdStrict } from './global-id.ts';
import { InputValidationError } from './input-validation-error.ts';
import { ByteCountScalar, DateTimeScalar, JsonScalar } from './scalars.ts';

/**
 * Scopes, from least to most privileged. `public` is for the few unauthenticated entry points
 * (login); `viewer` is any authenticated caller. Roles nest: ADMIN ⊃ OPERATOR ⊃ VIEWER.
 */
export interface AuthScopes {
  public: boolean;
  viewer: boolean;
  operator: boolean;
  admin: boolean;
}

export const roleAtLeast = (viewer: Viewer | null, role: Role): boolean =>
  viewer !== null && roleAtLeastOf(viewer.role, role);

/** Codes clients read from `extensions.code`. */
export const authErrorCodes = { unauthenticated: 'UNAUTHENTICATED', forbidden: 'FORBIDDEN' } as const;

export function authError(viewer: Viewer | null): GraphQLError {
  return viewer === null
    ? new GraphQLError('Authentication required', { extensions: { code: authErrorCodes.unauthenticated } })
    : new GraphQLError('Not allowed for your role', { extensions: { code: authErrorCodes.forbidden } });
}

export interface BrumeSchemaTypes {
  Context: Context;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
  Scalars: {
    ID: { Input: string; Output: string | number | bigint };
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    ByteCount: { Input: number; Output: number | bigint };
  };
}

export const builder = new SchemaBuilder<BrumeSchemaTypes>({
  // Order matters: scope-auth wraps outermost so refusals are top-level GraphQL errors and never
  // turn into union members; errors before validation so input failures become typed results.
  plugins: [ScopeAuthPlugin, ErrorsPlugin, ValidationPlugin, RelayPlugin],
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
  scopeAuth: {
    authScopes: (ctx) => ({
      public: true,
      viewer: ctx.viewer !== null,
      operator: roleAtLeast(ctx.viewer, 'OPERATOR'),
      admin: roleAtLeast(ctx.viewer, 'ADMIN'),
    }),
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, ctx) => authError(ctx.viewer),
  },
  errors: {
    // Every field that declares `errors` returns `Success | ItsErrors | InputValidationError`.
    directResult: true,
    defaultTypes: [InputValidationError],
    unsafelyHandleInputErrors: true,
    defaultUnionOptions: {
      name: ({ fieldName }) => `${fieldName[0]!.toUpperCase()}${fieldName.slice(1)}Result`,
    },
  },
  validation: {
    validationError: (failure) => new InputValidationError(failure.issues),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgeCursorType: 'String',
    nodeQueryOptions: { authScopes: { viewer: true } },
    nodesQueryOptions: { authScopes: { viewer: true } },
    pageInfoTypeOptions: { authScopes: { viewer: true } },
    defaultConnectionTypeOptions: { authScopes: { viewer: true } },
    defaultEdgeTypeOptions: { authScopes: { viewer: true } },
    nodeTypeOptions: {},
    decodeGlobalID: (globalId) => decodeGlobalIdStrict(globalId),
  },
});

builder.addScalarType('DateTime', DateTimeScalar);
builder.addScalarType('JSON', JsonScalar);
builder.addScalarType('ByteCount', ByteCountScalar);

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
