import { z } from 'zod';
import { builder } from '../graphql/builder.ts';
import { resolveCountedConnection } from '../graphql/connections.ts';
import { decodeIdOf } from '../graphql/global-id.ts';
import { LastAdminError, UserNotFoundError, UsernameTakenError, WeakPasswordError } from './auth-errors.ts';
import { RoleEnum, UserRef } from './auth-graphql-types.ts';
import type { UserRow } from './auth-table.ts';
import { usernamePattern } from './user-service.ts';

const userIdOf = (globalId: string): string => {
  const id = decodeIdOf(globalId, 'User');
  if (!id) throw new UserNotFoundError(globalId);
  return id;
};

interface UserPayloadShape {
  user: UserRow;
}

const UserPayload = builder.objectRef<UserPayloadShape>('UserPayload').implement({
  authScopes: { admin: true },
  fields: (t) => ({ user: t.expose('user', { type: UserRef }) }),
});

builder.queryField('users', (t) =>
  t.connection(
    {
      type: UserRef,
      authScopes: { admin: true },
      resolve: (_root, args, ctx) =>
        resolveCountedConnection(args, {
          count: () => ctx.services.auth.users.count(),
          list: (w) => ctx.services.auth.users.list(w),
        }),
    },
    { name: 'UserConnection', fields: (t) => ({ totalCount: t.int({ resolve: (c) => c.totalCount }) }) },
  ),
);

const CreateUserInput = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    username: t.string({
      validate: z
        .string()
        .regex(usernamePattern, 'lowercase letters, digits, . _ - (1-32, starting alphanumeric)'),
    }),
    password: t.string({ validate: z.string().max(256) }),
    role: t.field({ type: RoleEnum }),
  }),
});

builder.mutationField('createUser', (t) =>
  t.field({
    type: UserPayload,
    authScopes: { admin: true },
    errors: { types: [UsernameTakenError, WeakPasswordError] },
    args: { input: t.arg({ type: CreateUserInput }) },
    resolve: async (_root, { input }, ctx) => ({ user: await ctx.services.auth.users.create(input) }),
  }),
);

const UpdateUserInput = builder.inputType('UpdateUserInput', {
  fields: (t) => ({
    id: t.id(),
    role: t.field({ type: RoleEnum, required: false }),
    disabled: t.boolean({ required: false }),
  }),
});

builder.mutationField('updateUser', (t) =>
  t.field({
    type: UserPayload,
    authScopes: { admin: true },
    errors: { types: [UserNotFoundError, LastAdminError] },
    args: { input: t.arg({ type: UpdateUserInput }) },
    resolve: async (_root, { input }, ctx) => {
      const id = userIdOf(String(input.id));
      const user = await ctx.services.auth.users.update(id, { role: input.role, disabled: input.disabled });
      if (input.disabled) await ctx.services.auth.tokens.revokeSessionsOf(id);
      return { user };
    },
  }),
);

const ResetUserPasswordInput = builder.inputType('ResetUserPasswordInput', {
  fields: (t) => ({ id: t.id(), password: t.string({ validate: z.string().max(256) }) }),
});

builder.mutationField('resetUserPassword', (t) =>
  t.field({
    type: UserPayload,
    authScopes: { admin: true },
    description: 'Sets a new password and ends the user’s login sessions (API tokens stay).',
    errors: { types: [UserNotFoundError, WeakPasswordError] },
    args: { input: t.arg({ type: ResetUserPasswordInput }) },
    resolve: async (_root, { input }, ctx) => {
      const id = userIdOf(String(input.id));
      const user = await ctx.services.auth.users.setPassword(id, input.password);
      await ctx.services.auth.tokens.revokeSessionsOf(id);
      return { user };
    },
  }),
);
