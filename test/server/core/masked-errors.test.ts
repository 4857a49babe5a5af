import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.ts';

describe('masked errors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ NODE_ENV: 'production' });
  });
  afterAll(() => t.close());

  it('Given the database is gone, when a call fails unexpectedly, then the answer is generic, carries the request id, and /healthz says 503', async () => {
    const { url } = await t.listen();
    await t.db.close();
    const res = await t.gql('mutation { login(input: { username: "x", password: "y" }) { __typename } }', {
      headers: { 'x-request-id': 'req-under-test-1' },
    });
    expect(res.errors?.[0]?.message).toBe('Unexpected error');
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      requestId: 'req-under-test-1',
    });
    expect(JSON.stringify(res)).not.toMatch(/select|insert|pglite|closed/i);
    const health = await fetch(url.replace('/graphql', '/healthz'));
    expect(health.status).toBe(503);
  });
});
