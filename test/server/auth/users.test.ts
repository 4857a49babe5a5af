import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from '../../support/app.ts';

const update = `mutation($id: ID!, $role: Role, $disabled: Boolean) {
  updateUser(input: { id: $id, role: $role, disabled: $disabled }) { __typename ... on UserPayload { user { role disabled } } }
}`;

describe('user management', () => {
  let t: TestApp;
  let admin: TestUser;
  const globalId = (id: string) => Buffer.from(`User:${id}`).toString('base64');
  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.createUser('ADMIN', 'root-admin');
  });
  afterAll(() => t.close());

  it('Given an admin, when creating a user, then it can log in; a duplicate name is UsernameTakenError', async () => {
    const q = `mutation { createUser(input: { username: "carol", password: "correct horse battery", role: VIEWER }) { __typename } }`;
    expect((await t.gql(q, { token: admin.token })).data).toEqual({
      createUser: { __typename: 'UserPayload' },
    });
    expect((await t.gql(q, { token: admin.token })).data).toEqual({
      createUser: { __typename: 'UsernameTakenError' },
    });
    const login = await t.gql<{ login: { __typename: string } }>(
      'mutation { login(input: { username: "carol", password: "correct horse battery" }) { __typename } }',
    );
    expect(login.data?.login.__typename).toBe('LoginSuccess');
  });

  it('Given a bad username, then InputValidationError naming the field', async () => {
    const res = await t.gql<{ createUser: { __typename: string; issues: { path: string }[] } }>(
      `mutation { createUser(input: { username: "../etc", password: "correct horse battery", role: VIEWER }) {
        __typename ... on InputValidationError { issues { path message } } } }`,
      { token: admin.token },
    );
    expect(res.data?.createUser.__typename).toBe('InputValidationError');
    expect(res.data?.createUser.issues[0]?.path).toContain('username');
  });

  it('Given a user, when disabled, then their tokens stop working at once', async () => {
    const victim = await t.createUser('OPERATOR', 'dave');
    const res = await t.gql(update, {
      variables: { id: globalId(victim.user.id), disabled: true },
      token: admin.token,
    });
    expect(res.data).toEqual({
      updateUser: { __typename: 'UserPayload', user: { role: 'OPERATOR', disabled: true } },
    });
    const me = await t.gql<{ viewer: unknown }>('{ viewer { username } }', { token: victim.token });
    expect(me.data?.viewer).toBeNull();
  });

  it('Given the only enabled admin, when demoting themselves, then LastAdminError', async () => {
    const res = await t.gql(update, {
      variables: { id: globalId(admin.user.id), role: 'VIEWER' },
      token: admin.token,
    });
    expect(res.data).toEqual({ updateUser: { __typename: 'LastAdminError' } });
  });

  it('Given a user, when an admin resets the password, then the old sessions end and the new password works', async () => {
    const erin = await t.createUser('VIEWER', 'erin');
    const res = await t.gql(
      `mutation($id: ID!) { resetUserPassword(input: { id: $id, password: "a much better secret" }) { __typename } }`,
      { variables: { id: globalId(erin.user.id) }, token: admin.token },
    );
    expect(res.data).toEqual({ resetUserPassword: { __typename: 'UserPayload' } });
    expect(
      (await t.gql<{ viewer: unknown }>('{ viewer { id } }', { token: erin.token })).data?.viewer,
    ).toBeNull();
    const login = await t.gql<{ login: { __typename: string } }>(
      'mutation { login(input: { username: "erin", password: "a much better secret" }) { __typename } }',
    );
    expect(login.data?.login.__typename).toBe('LoginSuccess');
  });

  it('Given an admin, then users is a connection with totalCount', async () => {
    const res = await t.gql<{ users: { totalCount: number } }>('{ users(first: 1) { totalCount } }', {
      token: admin.token,
    });
    expect(res.data?.users.totalCount).toBeGreaterThanOrEqual(4);
  });
});
