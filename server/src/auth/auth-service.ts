import type { ServiceDeps } from '../app/service-deps.ts';
import type { Viewer } from '../graphql/context.ts';
import { InvalidCredentialsError } from './auth-errors.ts';
import type { UserRow } from './auth-table.ts';
import { createLoginThrottle } from './login-throttle.ts';
import { decoyPasswordHash, verifyPassword } from './password.ts';
import { createTokenService } from './token-service.ts';
import { createUserService } from './user-service.ts';

/** Users, sessions and API tokens; the one place that decides who a bearer token is. */
export function createAuthService(deps: ServiceDeps) {
  const users = createUserService(deps);
  const tokens = createTokenService(deps);
  const { loginMaxAttempts, loginWindowSeconds, sessionTtlMs } = deps.config.core.auth;
  const throttle = createLoginThrottle(loginMaxAttempts, loginWindowSeconds);

  /**
   * Username + password → the enabled user, or InvalidCredentialsError (same answer for unknown
   * user, wrong password and disabled user); throttled per username and client address.
   * Also used by the PXE menu for its state-changing entries.
   */
  async function verifyCredentials(username: string, password: string, address: string | null = null) {
    await throttle.check(username, address);
    const user = await users.byUsername(username);
    const ok = await verifyPassword(user?.passwordHash ?? (await decoyPasswordHash()), password);
    if (!user || !ok || user.disabled) {
      await throttle.fail(username, address);
      throw new InvalidCredentialsError();
    }
    await throttle.succeed(username, address);
    return user;
  }

  return {
    users,
    tokens,
    verifyCredentials,
    resolveBearer: (token: string): Promise<Viewer | null> => tokens.resolveBearer(token),

    async login(username: string, password: string, address: string | null) {
      const user: UserRow = await verifyCredentials(username, password, address);
      const name = `login from ${address ?? 'unknown'}`;
      const { token } = await tokens.issueSession(user.id, user.role, name, sessionTtlMs);
      return { token, user };
    },

    logout: (viewer: Viewer) => tokens.revoke(viewer, viewer.tokenId),
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
