import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.ts';

describe('query limits (graphql-armor)', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    token = (await t.createUser('ADMIN', 'limits-admin')).token;
  });
  afterAll(() => t.close());

  it('Given a normal query, then it runs', async () => {
    const res = await t.gql('{ viewer { username } }', { token });
    expect(res.errors).toBeUndefined();
  });

  it('Given a document with 500 aliases, then it is rejected before execution', async () => {
    const aliases = Array.from({ length: 500 }, (_, i) => `a${i}: viewer { id }`).join(' ');
    const res = await t.gql(`{ ${aliases} }`, { token });
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]?.message).toMatch(/alias/i);
  });

  it('Given a query 50 levels deep, then it is rejected before execution', async () => {
    let inner = 'id';
    for (let i = 0; i < 50; i++) inner = `owner { ${inner} }`;
    const res = await t.gql(`{ apiTokens(first: 1) { edges { node { ${inner} } } } }`, { token });
    expect(res.data ?? null).toBeNull();
    // Depth 50 trips the cost limit (cost grows with depth) before the depth rule: either refusal counts.
    expect(res.errors?.map((e) => e.message).join('\n')).toMatch(/depth|cost/i);
  });

  it('Given 10,000 tokens, then the parser refuses it', async () => {
    const fields = Array.from({ length: 10_000 }, () => '__typename').join(' ');
    const res = await t.gql(`{ ${fields} }`, { token });
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]?.message).toMatch(/token/i);
  });

  it('Given the rejections, then the server still answers a normal client', async () => {
    const res = await t.gql('{ viewer { username } }', { token });
    expect(res.data).toEqual({ viewer: { username: 'limits-admin' } });
  });
});

describe('ids from clients', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp({ NODE_ENV: 'production' });
    token = (await t.createUser('ADMIN', 'ids-admin')).token;
  });
  afterAll(() => t.close());

  it.each([
    ['garbage', 'garbage'],
    ['a well-formed global id with a non-uuid id', Buffer.from("User:1' or '1'='1").toString('base64')],
    ['an unknown type', Buffer.from('Nope:1').toString('base64')],
  ])('Given node(id) with %s, then a client error and no internal error', async (_label, id) => {
    const res = await t.gql('query($id: ID!) { node(id: $id) { id } }', { token, variables: { id } });
    expect(res.data?.node ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
  });
});
