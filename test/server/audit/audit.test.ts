import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries } from '../../../server/src/audit/audit-table.ts';
import { startTestApp, type TestApp, type TestUser } from '../../support/app.ts';

interface Entry {
  action: string;
  actorName: string;
  allowed: boolean;
  outcome: string;
  targetIds: string[];
  requestId: string | null;
}
const lastEntries = `query($first: Int!) { auditLog(first: $first) { totalCount edges { node {
  action actorName allowed outcome targetIds requestId input } } } }`;

describe('audit log', () => {
  let t: TestApp;
  let admin: TestUser;
  const latest = async (n = 1) => {
    const res = await t.gql<{ auditLog: { edges: { node: Entry }[] } }>(lastEntries, {
      variables: { first: n },
      token: admin.token,
    });
    return res.data!.auditLog.edges.map((e) => e.node);
  };
  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.createUser('ADMIN', 'auditor');
  });
  afterAll(() => t.close());

  it('Given an anonymous call to an admin mutation, then one entry: anonymous, allowed=false, UNAUTHENTICATED', async () => {
    await t.gql(
      'mutation { createUser(input: { username: "x1", password: "irrelevant-pass", role: ADMIN }) { __typename } }',
    );
    const [entry] = await latest();
    expect(entry).toMatchObject({
      action: 'createUser',
      actorName: 'anonymous',
      allowed: false,
      outcome: 'UNAUTHENTICATED',
    });
  });

  it('Given a wrong-role call, then allowed=false with FORBIDDEN and the actor named', async () => {
    const viewer = await t.createUser('VIEWER', 'audit-viewer');
    await t.gql(
      'mutation { createUser(input: { username: "x2", password: "irrelevant-pass", role: ADMIN }) { __typename } }',
      {
        token: viewer.token,
      },
    );
    const [entry] = await latest();
    expect(entry).toMatchObject({
      action: 'createUser',
      actorName: 'audit-viewer',
      allowed: false,
      outcome: 'FORBIDDEN',
    });
  });

  it('Given a validation failure and a domain error, then each is recorded with its code', async () => {
    await t.gql(
      'mutation { createUser(input: { username: "BAD NAME", password: "irrelevant-pass", role: VIEWER }) { __typename } }',
      {
        token: admin.token,
      },
    );
    expect((await latest())[0]).toMatchObject({ allowed: true, outcome: 'INVALID_INPUT' });
    await t.gql('mutation { createApiToken(input: { name: "too-high", role: ADMIN }) { __typename } }', {
      token: (await t.createUser('OPERATOR', 'audit-op')).token,
    });
    expect((await latest())[0]).toMatchObject({
      action: 'createApiToken',
      allowed: true,
      outcome: 'ROLE_TOO_HIGH',
    });
  });

  it('Given a call with an id, then the entry names the target', async () => {
    const id = Buffer.from('ApiToken:00000000-0000-0000-0000-000000000000').toString('base64');
    await t.gql(`mutation { revokeApiToken(input: { id: "${id}" }) { __typename } }`, { token: admin.token });
    expect((await latest())[0]).toMatchObject({
      action: 'revokeApiToken',
      targetIds: [id],
      outcome: 'API_TOKEN_NOT_FOUND',
    });
  });

  it('Given logins and token creation, then no password or token appears in any entry', async () => {
    const secretPassword = 'Very-Secret-Password-42';
    await t.gql(
      `mutation { login(input: { username: "auditor", password: "${secretPassword}" }) { __typename } }`,
    );
    const good = await t.gql<{ login: { token: string } }>(
      `mutation($p: String!) { login(input: { username: "auditor", password: $p }) { ... on LoginSuccess { token } } }`,
      { variables: { p: admin.password } },
    );
    const created = await t.gql<{ createApiToken: { token: string } }>(
      'mutation { createApiToken(input: { name: "ci-bot", role: VIEWER }) { ... on CreateApiTokenSuccess { token } } }',
      { token: admin.token },
    );
    const rows = JSON.stringify(await t.db.db.select().from(auditEntries));
    for (const secret of [
      secretPassword,
      admin.password,
      good.data!.login.token,
      created.data!.createApiToken.token,
      admin.token,
    ]) {
      expect(rows).not.toContain(secret);
    }
    expect(rows).toContain('[REDACTED]');
  });

  it('Given a mutation document that fails validation, then it is still recorded as refused', async () => {
    const res = await t.gql('mutation { createUser(input: { nope: 1 }) { __typename } }', {
      token: admin.token,
    });
    expect(res.errors?.length).toBeGreaterThan(0);
    let entry: Entry | undefined;
    for (let i = 0; i < 50 && entry?.outcome !== 'GRAPHQL_VALIDATION_FAILED'; i++) {
      [entry] = await latest();
      if (entry?.outcome !== 'GRAPHQL_VALIDATION_FAILED') await new Promise((r) => setTimeout(r, 50));
    }
    expect(entry).toMatchObject({ action: 'createUser', actorName: 'auditor', allowed: false });
  });

  it('Given a non-admin, then auditLog is FORBIDDEN', async () => {
    const op = await t.createUser('OPERATOR', 'audit-op2');
    const res = await t.gql('{ auditLog(first: 1) { totalCount } }', { token: op.token });
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('Given the filter, then only refused entries are listed', async () => {
    const res = await t.gql<{ auditLog: { totalCount: number; edges: { node: Entry }[] } }>(
      '{ auditLog(first: 50, filter: { allowed: false }) { totalCount edges { node { allowed } } } }',
      { token: admin.token },
    );
    expect(res.data!.auditLog.totalCount).toBeGreaterThanOrEqual(2);
    expect(res.data!.auditLog.edges.every((e) => e.node.allowed === false)).toBe(true);
  });
});
