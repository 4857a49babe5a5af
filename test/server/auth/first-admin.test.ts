import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialAdminFile } from '../../../server/src/auth/initial-admin.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';

const login = `mutation($u: String!, $p: String!) {
  login(input: { username: $u, password: $p }) { __typename ... on LoginSuccess { token user { role } } }
}`;

describe('first start', () => {
  let t: TestApp;
  let password: string;
  beforeAll(async () => {
    t = await startTestApp();
    await t.app.initialize();
    password = fs.readFileSync(path.join(t.dataDir, initialAdminFile), 'utf8').trim();
  });
  afterAll(() => t.close());

  it('Given an empty database, when the app initializes, then admin gets a random password in a 0600 file', () => {
    const stat = fs.statSync(path.join(t.dataDir, initialAdminFile));
    expect(stat.mode & 0o777).toBe(0o600);
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });

  it('Given that file, then its password logs in as ADMIN', async () => {
    const res = await t.gql<{ login: { __typename: string; user: { role: string } } }>(login, {
      variables: { u: 'admin', p: password },
    });
    expect(res.data?.login.__typename).toBe('LoginSuccess');
    expect(res.data?.login.user.role).toBe('ADMIN');
  });

  it.each([
    ['admin', 'admin'],
    ['fog', 'password'],
    ['admin', 'password'],
    ['admin', ''],
    ['root', 'root'],
  ])('Given a fresh install, then the well-known credential %s/%s is refused', async (u, p) => {
    const res = await t.gql<{ login: { __typename: string } }>(login, { variables: { u, p } });
    expect(res.data?.login.__typename).not.toBe('LoginSuccess');
    expect(res.errors).toBeUndefined();
  });

  it('Given users exist, when the app initializes again, then no second admin or new password appears', async () => {
    await t.app.initialize();
    expect(fs.readFileSync(path.join(t.dataDir, initialAdminFile), 'utf8').trim()).toBe(password);
    expect(await t.app.services.auth.users.count()).toBe(1);
  });

  it('Given an admin, when creating a user with a well-known or short password, then WeakPasswordError', async () => {
    const res = await t.gql<{ createUser: { __typename: string } }>(
      `mutation($p: String!) { createUser(input: { username: "bob", password: $p, role: VIEWER }) { __typename } }`,
      { variables: { p: 'password' }, token: (await t.createUser('ADMIN', 'second-admin')).token },
    );
    expect(res.data?.createUser.__typename).toBe('WeakPasswordError');
  });
});
