import { and, count, desc, eq, gt, inArray, isNull, lt, or } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { PageWindow } from '../graphql/connections.ts';
import type { Viewer } from '../graphql/context.ts';
import { ApiTokenNotFoundError, RoleTooHighError } from './auth-errors.ts';
import { type ApiTokenRow, apiTokens, type Role, type TokenKind, users } from './auth-table.ts';
import { minRole, roleAtLeastOf } from './roles.ts';
import { hashTokenSecret, issueTokenSecret, looksLikeToken } from './token-secret.ts';

const lastUsedResolutionMs = 60_000;

export interface ApiTokenListFilter {
  readonly userId?: string | undefined;
  readonly kind?: TokenKind | undefined;
}

export function createTokenService({ db, now }: ServiceDeps) {
  async function issue(kind: TokenKind, userId: string, name: string, role: Role, expiresAt: Date | null) {
    const secret = issueTokenSecret();
    const [row] = await db
      .insert(apiTokens)
      .values({ kind, userId, name, role, prefix: secret.prefix, secretHash: secret.secretHash, expiresAt })
      .returning();
    return { token: secret.token, apiToken: row! };
  }

  const listWhere = (filter: ApiTokenListFilter) =>
    and(
      filter.userId ? eq(apiTokens.userId, filter.userId) : undefined,
      filter.kind ? eq(apiTokens.kind, filter.kind) : undefined,
    );

  return {
    issueSession: (userId: string, role: Role, name: string, ttlMs: number) =>
      issue('SESSION', userId, name, role, new Date(now().getTime() + ttlMs)),

    /** A named token: its role never above its creator's. */
    async createApiToken(viewer: Viewer, input: { name: string; role: Role; expiresAt?: Date | null }) {
      if (!roleAtLeastOf(viewer.role, input.role)) throw new RoleTooHighError(input.role, viewer.role);
      return issue('API', viewer.userId, input.name, input.role, input.expiresAt ?? null);
    },

    /** Own tokens; an ADMIN may revoke anyone's. Idempotent on an already revoked token. */
    async revoke(viewer: Viewer, id: string): Promise<ApiTokenRow> {
      const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
      if (!row || (row.userId !== viewer.userId && viewer.role !== 'ADMIN'))
        throw new ApiTokenNotFoundError(id);
      if (row.revokedAt) return row;
      const [updated] = await db
        .update(apiTokens)
        .set({ revokedAt: now() })
        .where(eq(apiTokens.id, id))
        .returning();
      return updated!;
    },

    async revokeSessionsOf(userId: string): Promise<void> {
      await db
        .update(apiTokens)
        .set({ revokedAt: now() })
        .where(and(eq(apiTokens.userId, userId), eq(apiTokens.kind, 'SESSION'), isNull(apiTokens.revokedAt)));
    },

    /** Bearer token → Viewer, or null when unknown, revoked, expired or its user disabled. */
    async resolveBearer(token: string): Promise<Viewer | null> {
      if (!looksLikeToken(token)) return null;
      const at = now();
      const [row] = await db
        .select({ token: apiTokens, user: users })
        .from(apiTokens)
        .innerJoin(users, eq(users.id, apiTokens.userId))
        .where(
          and(
            eq(apiTokens.secretHash, hashTokenSecret(token)),
            isNull(apiTokens.revokedAt),
            or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, at)),
            eq(users.disabled, false),
          ),
        );
      if (!row) return null;
      if (!row.token.lastUsedAt || at.getTime() - row.token.lastUsedAt.getTime() > lastUsedResolutionMs) {
        await db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, row.token.id));
      }
      return {
        userId: row.user.id,
        username: row.user.username,
        role: minRole(row.token.role, row.user.role),
        tokenId: row.token.id,
      };
    },

    /** Still usable: not revoked, not expired, user enabled (open subscriptions re-check this). */
    async isActive(tokenId: string): Promise<boolean> {
      const [row] = await db
        .select({ id: apiTokens.id })
        .from(apiTokens)
        .innerJoin(users, eq(users.id, apiTokens.userId))
        .where(
          and(
            eq(apiTokens.id, tokenId),
            isNull(apiTokens.revokedAt),
            or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now())),
            eq(users.disabled, false),
          ),
        );
      return row !== undefined;
    },

    async count(filter: ApiTokenListFilter): Promise<number> {
      const [row] = await db.select({ n: count() }).from(apiTokens).where(listWhere(filter));
      return row?.n ?? 0;
    },
    list(filter: ApiTokenListFilter, window: PageWindow): Promise<ApiTokenRow[]> {
      return db
        .select()
        .from(apiTokens)
        .where(listWhere(filter))
        .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
        .offset(window.offset)
        .limit(window.limit);
    },
    byIds: (ids: readonly string[]) =>
      ids.length === 0
        ? Promise.resolve([])
        : db
            .select()
            .from(apiTokens)
            .where(inArray(apiTokens.id, [...ids])),

    /** Housekeeping: sessions expired for a day are deleted. */
    async purgeExpiredSessions(): Promise<void> {
      const cutoff = new Date(now().getTime() - 86_400_000);
      await db.delete(apiTokens).where(and(eq(apiTokens.kind, 'SESSION'), lt(apiTokens.expiresAt, cutoff)));
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
