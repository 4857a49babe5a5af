import { builder } from '../graphql/builder.ts';
import { defineErrorType } from '../graphql/errors.ts';
import { orderByIds } from '../graphql/load-by-ids.ts';
import {
  ApiTokenNotFoundError,
  InvalidCredentialsError,
  LastAdminError,
  RoleTooHighError,
  TooManyAttemptsError,
  UserNotFoundError,
  UsernameTakenError,
  WeakPasswordError,
} from './auth-errors.ts';
import { type ApiTokenRow, roles, tokenKinds, type UserRow } from './auth-table.ts';

export const RoleEnum = builder.enumType('Role', { values: roles });
export const TokenKindEnum = builder.enumType('TokenKind', { values: tokenKinds });

export const UserRef = builder.objectRef<UserRow>('User');
builder.node(UserRef, {
  authScopes: { viewer: true, $granted: 'loginResult' },
  id: { resolve: (u) => u.id },
  loadMany: async (ids, ctx) => orderByIds(ids, await ctx.services.auth.users.byIds(ids), (u) => u.id),
  fields: (t) => ({
    username: t.exposeString('username'),
    role: t.expose('role', { type: RoleEnum }),
    disabled: t.exposeBoolean('disabled'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const ApiTokenRef = builder.objectRef<ApiTokenRow>('ApiToken');
builder.node(ApiTokenRef, {
  // A token is visible to its owner and to ADMINs only.
  authScopes: (token, ctx) =>
    ctx.viewer !== null && (ctx.viewer.role === 'ADMIN' || ctx.viewer.userId === token.userId),
  id: { resolve: (t) => t.id },
  loadMany: async (ids, ctx) => orderByIds(ids, await ctx.services.auth.tokens.byIds(ids), (t) => t.id),
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.expose('kind', { type: TokenKindEnum }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the token, to recognize it.' }),
    role: t.expose('role', { type: RoleEnum }),
    owner: t.field({
      type: UserRef,
      resolve: async (tok, _a, ctx) => ctx.services.auth.users.byId(tok.userId),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
  }),
});

defineErrorType(InvalidCredentialsError, 'InvalidCredentialsError');
defineErrorType(TooManyAttemptsError, 'TooManyAttemptsError', (t) => ({
  retryAfterSeconds: t.exposeInt('retryAfterSeconds'),
}));
defineErrorType(RoleTooHighError, 'RoleTooHighError', (t) => ({
  requested: t.expose('requested', { type: RoleEnum }),
  allowed: t.expose('allowed', { type: RoleEnum }),
}));
defineErrorType(ApiTokenNotFoundError, 'ApiTokenNotFoundError');
defineErrorType(UserNotFoundError, 'UserNotFoundError');
defineErrorType(UsernameTakenError, 'UsernameTakenError', (t) => ({ username: t.exposeString('username') }));
defineErrorType(WeakPasswordError, 'WeakPasswordError', (t) => ({ reason: t.exposeString('reason') }));
defineErrorType(LastAdminError, 'LastAdminError');
