import { and, asc, count, eq, inArray, ne } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { PageWindow } from '../graphql/connections.ts';
import { LastAdminError, UserNotFoundError, UsernameTakenError, WeakPasswordError } from './auth-errors.ts';
import { type Role, type UserRow, users } from './auth-table.ts';
import { hashPassword, passwordWeakness } from './password.ts';

export const usernamePattern = /^[a-z0-9][a-z0-9._-]{0,31}$/;

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code === '23505' || e?.cause?.code === '23505';
}

export function createUserService({ db, now }: ServiceDeps) {
  async function byId(id: string): Promise<UserRow> {
    const [row] = await db.select().from(users).where(eq(users.id, id));
    if (!row) throw new UserNotFoundError(id);
    return row;
  }

  /** Refuses a change that leaves no enabled ADMIN (nobody could manage users any more). */
  async function assertOtherAdminRemains(id: string): Promise<void> {
    const [row] = await db
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.role, 'ADMIN'), eq(users.disabled, false), ne(users.id, id)));
    if ((row?.n ?? 0) === 0) throw new LastAdminError();
  }

  return {
    byId,
    byUsername: async (username: string): Promise<UserRow | undefined> =>
      (await db.select().from(users).where(eq(users.username, username.toLowerCase())))[0],
    byIds: (ids: readonly string[]) =>
      ids.length === 0
        ? Promise.resolve([])
        : db
            .select()
            .from(users)
            .where(inArray(users.id, [...ids])),

    async create(input: { username: string; password: string; role: Role }): Promise<UserRow> {
      const username = input.username.toLowerCase();
      const weakness = passwordWeakness(input.password, username);
      if (weakness) throw new WeakPasswordError(weakness);
      const passwordHash = await hashPassword(input.password);
      try {
        const [row] = await db.insert(users).values({ username, passwordHash, role: input.role }).returning();
        return row!;
      } catch (err) {
        if (isUniqueViolation(err)) throw new UsernameTakenError(username);
        throw err;
      }
    },

    async update(id: string, patch: { role?: Role | null; disabled?: boolean | null }): Promise<UserRow> {
      const current = await byId(id);
      const losesAdmin =
        current.role === 'ADMIN' && ((patch.role && patch.role !== 'ADMIN') || patch.disabled === true);
      if (losesAdmin) await assertOtherAdminRemains(id);
      const [row] = await db
        .update(users)
        .set({
          ...(patch.role ? { role: patch.role } : {}),
          ...(patch.disabled != null ? { disabled: patch.disabled } : {}),
          updatedAt: now(),
        })
        .where(eq(users.id, id))
        .returning();
      return row!;
    },

    async setPassword(id: string, password: string): Promise<UserRow> {
      const current = await byId(id);
      const weakness = passwordWeakness(password, current.username);
      if (weakness) throw new WeakPasswordError(weakness);
      const [row] = await db
        .update(users)
        .set({ passwordHash: await hashPassword(password), updatedAt: now() })
        .where(eq(users.id, id))
        .returning();
      return row!;
    },

    async count(): Promise<number> {
      const [row] = await db.select({ n: count() }).from(users);
      return row?.n ?? 0;
    },
    list: (window: PageWindow): Promise<UserRow[]> =>
      db.select().from(users).orderBy(asc(users.username)).offset(window.offset).limit(window.limit),
  };
}

export type UserService = ReturnType<typeof createUserService>;
