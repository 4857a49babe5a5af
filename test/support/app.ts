import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type App, buildApp } from '../../server/src/app/app.ts';
import { csrfHeader } from '../../server/src/app/yoga.ts';
import type { Role, UserRow } from '../../server/src/auth/auth-table.ts';
import { testConfig } from '../../server/src/config/config.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly data?: T | null;
  readonly errors?: ReadonlyArray<{
    message: string;
    extensions?: Record<string, unknown>;
    path?: unknown[];
  }>;
}

export interface GqlOptions {
  readonly variables?: Record<string, unknown>;
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

export interface TestUser {
  readonly user: UserRow;
  readonly password: string;
  /** A login-session bearer token for this user. */
  readonly token: string;
}

export interface TestApp {
  readonly app: App;
  readonly db: TestDatabase;
  readonly dataDir: string;
  /** POST /graphql through `yoga.fetch` (no socket). */
  gql<T = Record<string, unknown>>(query: string, options?: GqlOptions): Promise<GraphQLResponse<T>>;
  /** Starts the real server on 127.0.0.1:0 (for graphql-ws, SSE, graphql-http audits). */
  listen(): Promise<{ url: string; wsUrl: string }>;
  createUser(role: Role, username?: string): Promise<TestUser>;
  close(): Promise<void>;
}

/**
 * An app on a fresh test database and a temp data dir. `env` overrides config variables
 * (e.g. `{ BRUME_TOKEN_RECHECK_SECONDS: '1' }`). Call `close()` in `afterAll`.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brume-test-'));
  const db = await createTestDatabase();
  const config = testConfig({ BRUME_DATA_DIR: dataDir, ...env });
  const app = await buildApp(config, { database: db, announce: () => {} });
  let listening = false;
  let counter = 0;

  return {
    app,
    db,
    dataDir,
    async gql<T>(query: string, options: GqlOptions = {}) {
      const res = await app.yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        body: JSON.stringify({ query, variables: options.variables ?? {} }),
      });
      const body = (await res.json()) as Omit<GraphQLResponse<T>, 'status'>;
      return { status: res.status, ...body };
    },
    async listen() {
      const { port } = await app.start(0, '127.0.0.1');
      listening = true;
      return { url: `http://127.0.0.1:${port}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql` };
    },
    async createUser(role: Role, username = `${role.toLowerCase()}-${++counter}`) {
      const password = randomBytes(12).toString('base64url');
      const user = await app.services.auth.users.create({ username, password, role });
      const { token } = await app.services.auth.tokens.issueSession(user.id, role, 'test', 3_600_000);
      return { user, password, token };
    },
    async close() {
      if (listening) await app.stop();
      else await app.yoga.dispose();
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The CSRF header yoga requires on requests a browser could send without a preflight. */
export const csrfHeaders = { [csrfHeader]: '1' } as const;
