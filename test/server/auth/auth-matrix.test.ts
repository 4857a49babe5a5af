import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../../server/src/auth/auth-table.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { operationFor, requiredScopeOf } from '../../support/schema-walk.ts';

const rank: Record<Role, number> = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 };
const roleBelow = (role: Role): Role | null =>
  role === 'ADMIN' ? 'OPERATOR' : role === 'OPERATOR' ? 'VIEWER' : null;

/**
 * Walks EVERY mutation in the built schema (new domains are covered without touching this file)
 * and presents each with no token, a malformed, an expired, a revoked and a wrong-role token.
 */
describe('auth matrix over every mutation', () => {
  let t: TestApp;
  const tokens: Record<string, string | undefined> = {};
  const headers: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    t = await startTestApp();
    const admin = await t.createUser('ADMIN', 'matrix-admin');
    const viewer = await t.createUser('VIEWER', 'matrix-viewer');
    const operator = await t.createUser('OPERATOR', 'matrix-operator');
    const adminViewer = {
      userId: admin.user.id,
      username: 'matrix-admin',
      role: 'ADMIN' as const,
      tokenId: '',
    };
    const expired = await t.app.services.auth.tokens.createApiToken(adminViewer, {
      name: 'expired',
      role: 'ADMIN',
      expiresAt: new Date(Date.now() - 60_000),
    });
    const revoked = await t.app.services.auth.tokens.createApiToken(adminViewer, {
      name: 'revoked',
      role: 'ADMIN',
    });
    await t.app.services.auth.tokens.revoke(adminViewer, revoked.apiToken.id);
    tokens.VIEWER = viewer.token;
    tokens.OPERATOR = operator.token;
    headers.none = {};
    headers.malformed = { authorization: 'Bearer not-a-token' };
    headers.basic = { authorization: 'Basic YWRtaW46YWRtaW4=' };
    headers.expired = { authorization: `Bearer ${expired.token}` };
    headers.revoked = { authorization: `Bearer ${revoked.token}` };
    // Use each live token once so `last_used_at` is settled before snapshots are taken.
    for (const token of [viewer.token, operator.token]) await t.gql('{ viewer { id } }', { token });
  });
  afterAll(() => t.close());

  const mutations = () => Object.values(t.app.schema.getMutationType()?.getFields() ?? {});

  it('Given the schema, then every mutation declares a role scope the matrix understands', () => {
    const unknown = mutations().filter((f) => requiredScopeOf(f) === 'custom');
    expect(unknown.map((f) => f.name)).toEqual([]);
    expect(mutations().length).toBeGreaterThan(5);
  });

  it('Given no, malformed, expired or revoked credentials, then every non-public mutation is UNAUTHENTICATED and the database is unchanged', async () => {
    const before = await t.db.snapshot({ exclude: ['audit_entries'] });
    const failures: string[] = [];
    for (const field of mutations()) {
      if (requiredScopeOf(field) === 'public') continue;
      const { query, variables } = operationFor(t.app.schema, 'mutation', field);
      for (const [label, h] of Object.entries(headers)) {
        const res = await t.gql(query, { variables, headers: h });
        const code = res.errors?.[0]?.extensions?.code;
        if (code !== 'UNAUTHENTICATED' || res.data?.[field.name])
          failures.push(`${field.name}/${label}: ${code}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await t.db.snapshot({ exclude: ['audit_entries'] })).toEqual(before);
  });

  it('Given a token one role too low, then every mutation needing more is FORBIDDEN and the database is unchanged', async () => {
    const before = await t.db.snapshot({ exclude: ['audit_entries'] });
    const failures: string[] = [];
    let checked = 0;
    for (const field of mutations()) {
      const needed = requiredScopeOf(field);
      if (needed === 'public' || needed === 'custom') continue;
      const below = roleBelow(needed);
      if (!below || rank[below] >= rank[needed]) continue;
      const { query, variables } = operationFor(t.app.schema, 'mutation', field);
      const res = await t.gql(query, { variables, token: tokens[below] });
      checked++;
      const code = res.errors?.[0]?.extensions?.code;
      if (code !== 'FORBIDDEN' || res.data?.[field.name]) failures.push(`${field.name}/${below}: ${code}`);
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(0);
    expect(await t.db.snapshot({ exclude: ['audit_entries'] })).toEqual(before);
  });

  it('Given the refusals above, then each one left an audit entry with allowed=false', async () => {
    const refused = await t.app.services.audit.count({ allowed: false });
    expect(refused).toBeGreaterThanOrEqual(
      mutations().filter((f) => requiredScopeOf(f) !== 'public').length * 5,
    );
  });
});
