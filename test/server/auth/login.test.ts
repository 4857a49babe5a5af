import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from '../../support/app.ts';

const loginMutation = `mutation($u: String!, $p: String!) {
  login(input: { username: $u, password: $p }) {
    __typename
    ... on LoginSuccess { token user { username role } }
    ... on TooManyAttemptsError { retryAfterSeconds }
    ... on Error { message }
  }
}`;

describe('login', () => {
  let t: TestApp;
  let operator: TestUser;
  beforeAll(async () => {
    t = await startTestApp({ BRUME_LOGIN_MAX_ATTEMPTS: '3' });
    operator = await t.createUser('OPERATOR', 'olga');
  });
  afterAll(() => t.close());

  it('Given a user, when they log in with the right password, then a working bearer token is returned', async () => {
    const res = await t.gql<{ login: { __typename: string; token: string } }>(loginMutation, {
      variables: { u: 'olga', p: operator.password },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data?.login.__typename).toBe('LoginSuccess');
    const me = await t.gql<{ viewer: { username: string; role: string } }>('{ viewer { username role } }', {
      token: res.data!.login.token,
    });
    expect(me.data?.viewer).toEqual({ username: 'olga', role: 'OPERATOR' });
  });

  it('Given a wrong password, then InvalidCredentialsError, and the same for an unknown user', async () => {
    const wrong = await t.gql<{ login: { __typename: string } }>(loginMutation, {
      variables: { u: 'olga', p: 'nope' },
    });
    expect(wrong.data?.login.__typename).toBe('InvalidCredentialsError');
    const unknown = await t.gql<{ login: { __typename: string } }>(loginMutation, {
      variables: { u: 'nobody', p: 'x' },
    });
    expect(unknown.data?.login.__typename).toBe('InvalidCredentialsError');
  });

  it('Given repeated failures for one username and address, then TooManyAttemptsError even with the right password', async () => {
    const victim = await t.createUser('VIEWER', 'victor');
    for (let i = 0; i < 3; i++) await t.gql(loginMutation, { variables: { u: 'victor', p: `bad-${i}` } });
    const res = await t.gql<{ login: { __typename: string; retryAfterSeconds: number } }>(loginMutation, {
      variables: { u: 'victor', p: victim.password },
    });
    expect(res.data?.login.__typename).toBe('TooManyAttemptsError');
    expect(res.data?.login.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('Given an empty password, then a typed InputValidationError, never a session', async () => {
    const res = await t.gql<{ login: { __typename: string } }>(loginMutation, {
      variables: { u: 'olga', p: '' },
    });
    expect(res.data?.login.__typename).toBe('InputValidationError');
  });
});
