import { z } from 'zod';
import { builder } from '../graphql/builder.ts';
import { resolveCountedConnection } from '../graphql/connections.ts';
import { decodeIdOf } from '../graphql/global-id.ts';
import {
  ApiTokenNotFoundError,
  InvalidCredentialsError,
  RoleTooHighError,
  TooManyAttemptsError,
} from './auth-errors.ts';
import { ApiTokenRef, RoleEnum, UserRef } from './auth-graphql-types.ts';
import type { ApiTokenRow, UserRow } from './auth-table.ts';
import './users-graphql.ts';

interface LoginSuccessShape {
  token: string;
  user: UserRow;
}
interface LogoutSuccessShape {
  ok: boolean;
}
interface CreateApiTokenSuccessShape {
  token: string;
  apiToken: ApiTokenRow;
}
interface RevokeApiTokenSuccessShape {
  apiToken: ApiTokenRow;
}

const LoginInput = builder.inputType('LoginInput', {
  fields: (t) => ({
    username: t.string({ validate: z.string().min(1).max(64) }),
    password: t.string({ validate: z.string().min(1).max(256) }),
  }),
});

const LoginSuccess = builder.objectRef<LoginSuccessShape>('LoginSuccess').implement({
  authScopes: { public: true },
  fields: (t) => ({
    token: t.exposeString('token', {
      description: 'Bearer token for `Authorization: Bearer <token>`; shown once.',
    }),
    // The caller was anonymous a moment ago: this grant lets the User type show the logged-in user.
    user: t.expose('user', { type: UserRef, grantScopes: ['loginResult'] }),
  }),
});

builder.mutationField('login', (t) =>
  t.field({
    type: LoginSuccess,
    authScopes: { public: true },
    errors: { types: [InvalidCredentialsError, TooManyAttemptsError] },
    args: { input: t.arg({ type: LoginInput }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.auth.login(input.username, input.password, ctx.clientAddress),
  }),
);

const LogoutSuccess = builder.objectRef<LogoutSuccessShape>('LogoutSuccess').implement({
  authScopes: { viewer: true },
  fields: (t) => ({ ok: t.exposeBoolean('ok') }),
});

builder.mutationField('logout', (t) =>
  t.field({
    type: LogoutSuccess,
    authScopes: { viewer: true },
    errors: { types: [ApiTokenNotFoundError] },
    resolve: async (_root, _args, ctx) => {
      await ctx.services.auth.logout(ctx.viewer!);
      return { ok: true };
    },
  }),
);

builder.queryField('viewer', (t) =>
  t.field({
    type: UserRef,
    nullable: true,
    authScopes: { public: true },
    description: 'The caller, or null when unauthenticated.',
    resolve: (_root, _args, ctx) => (ctx.viewer ? ctx.services.auth.users.byId(ctx.viewer.userId) : null),
  }),
);

const CreateApiTokenInput = builder.inputType('CreateApiTokenInput', {
  fields: (t) => ({
    name: t.string({ validate: z.string().trim().min(1).max(64) }),
    role: t.field({ type: RoleEnum }),
    expiresAt: t.field({ type: 'DateTime', required: false }),
  }),
});

const CreateApiTokenSuccess = builder
  .objectRef<CreateApiTokenSuccessShape>('CreateApiTokenSuccess')
  .implement({
    authScopes: { viewer: true },
    fields: (t) => ({
      token: t.exposeString('token', { description: 'The secret, shown this once; only its hash is kept.' }),
      apiToken: t.expose('apiToken', { type: ApiTokenRef }),
    }),
  });

builder.mutationField('createApiToken', (t) =>
  t.field({
    type: CreateApiTokenSuccess,
    authScopes: { viewer: true },
    errors: { types: [RoleTooHighError] },
    args: { input: t.arg({ type: CreateApiTokenInput }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.auth.tokens.createApiToken(ctx.viewer!, {
        name: input.name,
        role: input.role,
        expiresAt: input.expiresAt ?? null,
      }),
  }),
);

const RevokeApiTokenInput = builder.inputType('RevokeApiTokenInput', {
  fields: (t) => ({ id: t.id() }),
});

const RevokeApiTokenSuccess = builder
  .objectRef<RevokeApiTokenSuccessShape>('RevokeApiTokenSuccess')
  .implement({
    authScopes: { viewer: true },
    fields: (t) => ({ apiToken: t.expose('apiToken', { type: ApiTokenRef }) }),
  });

builder.mutationField('revokeApiToken', (t) =>
  t.field({
    type: RevokeApiTokenSuccess,
    authScopes: { viewer: true },
    errors: { types: [ApiTokenNotFoundError] },
    args: { input: t.arg({ type: RevokeApiTokenInput }) },
    resolve: async (_root, { input }, ctx) => {
      const id = decodeIdOf(input.id, 'ApiToken');
      if (!id) throw new ApiTokenNotFoundError(String(input.id));
      return { apiToken: await ctx.services.auth.tokens.revoke(ctx.viewer!, id) };
    },
  }),
);

builder.queryField('apiTokens', (t) =>
  t.connection(
    {
      type: ApiTokenRef,
      authScopes: { viewer: true },
      description: 'Your named API tokens; with `allUsers` (ADMIN only), everyone’s.',
      args: { allUsers: t.arg.boolean({ required: false }) },
      resolve: (_root, args, ctx) => {
        const everyone = args.allUsers === true && ctx.viewer!.role === 'ADMIN';
        const filter = { kind: 'API' as const, userId: everyone ? undefined : ctx.viewer!.userId };
        return resolveCountedConnection(args, {
          count: () => ctx.services.auth.tokens.count(filter),
          list: (w) => ctx.services.auth.tokens.list(filter, w),
        });
      },
    },
    { name: 'ApiTokenConnection', fields: (t) => ({ totalCount: t.int({ resolve: (c) => c.totalCount }) }) },
  ),
);
