import { RateLimiterMemory } from 'rate-limiter-flexible';
import { TooManyAttemptsError } from './auth-errors.ts';

/**
 * Failed logins per (username, client address). In memory: one process serves a lab; with several
 * API instances this becomes RateLimiterPostgres on the shared database.
 */
export function createLoginThrottle(maxAttempts: number, windowSeconds: number) {
  const limiter = new RateLimiterMemory({ points: maxAttempts, duration: windowSeconds });
  const keyOf = (username: string, address: string | null) => `${username.toLowerCase()}|${address ?? '-'}`;
  return {
    /** Throws TooManyAttemptsError while the key is over its budget. */
    async check(username: string, address: string | null): Promise<void> {
      const state = await limiter.get(keyOf(username, address));
      if (state && state.consumedPoints >= maxAttempts) {
        throw new TooManyAttemptsError(Math.max(1, Math.ceil(state.msBeforeNext / 1000)));
      }
    },
    async fail(username: string, address: string | null): Promise<void> {
      await limiter.penalty(keyOf(username, address), 1);
    },
    async succeed(username: string, address: string | null): Promise<void> {
      await limiter.delete(keyOf(username, address));
    },
  };
}
