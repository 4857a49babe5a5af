import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfHeaders, startTestApp, type TestApp } from '../../support/app.ts';

/**
 * graphql-http's GraphQL-over-HTTP audit suite against the real listening server. The audits'
 * requests carry our CSRF header (a deployment requirement, like auth) and an authenticated
 * token; every MUST has to pass.
 */
describe('GraphQL over HTTP compliance (graphql-http audits)', () => {
  let t: TestApp;
  let url: string;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    token = (await t.createUser('VIEWER', 'audit-suite')).token;
    ({ url } = await t.listen());
  });
  afterAll(() => t.close());

  it('Given the server, then every MUST audit passes', async () => {
    const audits = serverAudits({
      url: () => url,
      fetchFn: (input: RequestInfo | URL, init?: RequestInit) => {
        const headers = new Headers(init?.headers);
        headers.set('authorization', `Bearer ${token}`);
        for (const [k, v] of Object.entries(csrfHeaders)) headers.set(k, v);
        return fetch(input, { ...init, headers });
      },
    });
    const failures: string[] = [];
    let musts = 0;
    for (const audit of audits) {
      if (!audit.name.startsWith('MUST')) continue;
      musts++;
      const result = await audit.fn();
      if (result.status !== 'ok') failures.push(`${audit.name}: ${result.reason}`);
    }
    expect(musts).toBeGreaterThan(10);
    expect(failures).toEqual([]);
  });
});
