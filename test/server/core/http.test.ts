import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfHeaders, startTestApp, type TestApp } from '../../support/app.ts';

describe('HTTP edge', () => {
  let t: TestApp;
  let url: string;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    token = (await t.createUser('ADMIN', 'http-admin')).token;
    ({ url } = await t.listen());
  });
  afterAll(() => t.close());
  const base = () => url.replace('/graphql', '');

  it('Given a started server, then GET /healthz is 200 ready', async () => {
    const res = await fetch(`${base()}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  it('Given some traffic, then GET /metrics exposes HTTP, GraphQL and subscription metrics', async () => {
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    const text = await (await fetch(`${base()}/metrics`)).text();
    expect(text).toMatch(/brume_http_requests_total\{method="POST",route="\/graphql",status="200"\} \d+/);
    expect(text).toMatch(/brume_graphql_operations_total\{type="query",outcome="ok"\} \d+/);
    expect(text).toContain('brume_graphql_active_subscriptions');
    expect(text).toContain('brume_process_cpu_user_seconds_total');
  });

  it('Given a GET query without the CSRF header, then 403; with it, 200', async () => {
    const q = `${url}?query=${encodeURIComponent('{ __typename }')}`;
    expect((await fetch(q, { headers: { accept: 'application/json' } })).status).toBe(403);
    const ok = await fetch(q, { headers: { accept: 'application/json', ...csrfHeaders } });
    expect(ok.status).toBe(200);
  });

  it('Given a form-encoded or text/plain POST (no preflight) without the header, then 403', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.status).toBe(403);
  });

  it('Given a browser, then GET /graphql serves the bundled GraphiQL page (no CDN)', async () => {
    const res = await fetch(url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.toLowerCase()).toContain('graphiql');
    expect(html).not.toMatch(/unpkg\.com|cdn\.jsdelivr/);
  }, 120_000);

  it('Given no token, then introspection is refused; with a token, it works', async () => {
    const query = '{ __schema { queryType { name } } }';
    const anon = await t.gql(query);
    expect(anon.data ?? null).toBeNull();
    expect(anon.errors?.[0]?.message).toMatch(/introspection/i);
    const authed = await t.gql(query, { token });
    expect(authed.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});
