import type { Logger } from 'pino';
import type { Services } from '../app/services.ts';
import type { Role } from '../auth/auth-table.ts';

/** Who is calling: resolved from a bearer token (session or API token), or null when anonymous. */
export interface Viewer {
  readonly userId: string;
  readonly username: string;
  /** The effective role: the token's role (never above its user's). */
  readonly role: Role;
  readonly tokenId: string;
}

/** The per-request (or per-WebSocket-operation) GraphQL context. */
export interface Context {
  readonly viewer: Viewer | null;
  readonly services: Services;
  readonly requestId: string;
  readonly clientAddress: string | null;
  readonly log: Logger;
}
