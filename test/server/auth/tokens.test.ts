import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokens } from '../../../server/src/auth/auth-table.ts';
import { startTestApp, type TestApp, type TestUser } from '../../support/app.ts';

const create = `mutation($name: String!, $role: Role!) {
  createApiToken(input: { name: $name, role: $role }) {
    __typename
    ... on CreateApiTokenSuccess { token apiToken { id name role prefix } }
    ... on RoleTooHighError { requested allowed }
  }
}`;
const revoke = `mutation($id: ID!) { revokeApiToken(input: { id: $id }) { __typename ... on RevokeApiTokenSuccess { apiToken { revokedAt } } } }`;

interface Created {
  createApiToken: {
    __typename: string;
    token: string;
    apiToken: { id: string; prefix: string; role: string };
  };
}

describe('API tokens', () => {
  let t: TestApp;
  let operator: TestUser;
  beforeAll(async () => {
    t = await startTestApp();
    operator = await t.createUser('OPERATOR', 'tok-operator');
  });
  afterAll(() => t.close());

  it('Given an operator, when creating a VIEWER token, then the secret is shown once and only its sha256 is stored', async () => {
    const res = await t.gql<Created>(create, {
      variables: { name: 'ci', role: 'VIEWER' },
      token: operator.token,
    });
    const { token, apiToken } = res.data!.createApiToken;
    expect(token).toMatch(/^brume_/);
    expect(token.startsWith(apiToken.prefix)).toBe(true);
    const rows = await t.db.db.select().from(apiTokens).where(eq(apiTokens.name, 'ci'));
    expect(rows[0]?.secretHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(token);
    const me = await t.gql<{ viewer: { username: string } }>('{ viewer { username } }', { token });
    expect(me.data?.viewer.username).toBe('tok-operator');
  });

  it('Given an operator, when asking for an ADMIN token, then RoleTooHighError', async () => {
    const res = await t.gql<{ createApiToken: { __typename: string; allowed: string } }>(create, {
      variables: { name: 'escalate', role: 'ADMIN' },
      token: operator.token,
    });
    expect(res.data?.createApiToken).toMatchObject({ __typename: 'RoleTooHighError', allowed: 'OPERATOR' });
  });

  it('Given a VIEWER-role token of an operator, then it acts as VIEWER (FORBIDDEN for operator work)', async () => {
    const res = await t.gql<Created>(create, {
      variables: { name: 'ro', role: 'VIEWER' },
      token: operator.token,
    });
    const ro = res.data!.createApiToken.token;
    const again = await t.gql(create, { variables: { name: 'x', role: 'OPERATOR' }, token: ro });
    expect(again.data).toMatchObject({ createApiToken: { __typename: 'RoleTooHighError' } });
  });

  it('Given a token, when it is revoked, then it no longer authenticates', async () => {
    const res = await t.gql<Created>(create, {
      variables: { name: 'temp', role: 'VIEWER' },
      token: operator.token,
    });
    const { token, apiToken } = res.data!.createApiToken;
    const r = await t.gql<{ revokeApiToken: { __typename: string } }>(revoke, {
      variables: { id: apiToken.id },
      token: operator.token,
    });
    expect(r.data?.revokeApiToken.__typename).toBe('RevokeApiTokenSuccess');
    const me = await t.gql<{ viewer: unknown }>('{ viewer { username } }', { token });
    expect(me.data?.viewer).toBeNull();
  });

  it("Given another user's token id, when revoking it as a non-admin, then ApiTokenNotFoundError", async () => {
    const other = await t.createUser('OPERATOR', 'tok-other');
    const res = await t.gql<Created>(create, {
      variables: { name: 'theirs', role: 'VIEWER' },
      token: other.token,
    });
    const r = await t.gql<{ revokeApiToken: { __typename: string } }>(revoke, {
      variables: { id: res.data!.createApiToken.apiToken.id },
      token: operator.token,
    });
    expect(r.data?.revokeApiToken.__typename).toBe('ApiTokenNotFoundError');
  });

  it('Given a garbage id, then ApiTokenNotFoundError, never a 500', async () => {
    const r = await t.gql<{ revokeApiToken: { __typename: string } }>(revoke, {
      variables: { id: "'; drop table users; --" },
      token: operator.token,
    });
    expect(r.data?.revokeApiToken.__typename).toBe('ApiTokenNotFoundError');
  });

  it('Given a session, when logging out, then the session token stops working', async () => {
    const user = await t.createUser('VIEWER', 'tok-leaver');
    const out = await t.gql<{ logout: { __typename: string } }>('mutation { logout { __typename } }', {
      token: user.token,
    });
    expect(out.data?.logout.__typename).toBe('LogoutSuccess');
    const me = await t.gql<{ viewer: unknown }>('{ viewer { username } }', { token: user.token });
    expect(me.data?.viewer).toBeNull();
  });

  it('Given tokens, then apiTokens lists only your own API tokens with a totalCount', async () => {
    const res = await t.gql<{ apiTokens: { totalCount: number; edges: { node: { name: string } }[] } }>(
      '{ apiTokens(first: 2) { totalCount edges { node { name } } } }',
      { token: operator.token },
    );
    // ci, ro, temp (escalate was refused; the other user’s token is not listed).
    expect(res.data?.apiTokens.totalCount).toBe(3);
    expect(res.data?.apiTokens.edges).toHaveLength(2);
  });
});
