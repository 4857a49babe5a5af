import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.ts';

const HOST_FIELDS = 'id name macs description pending';
const CREATE = `mutation($input: CreateHostInput!) {
  createHost(input: $input) {
    __typename
    ... on CreateHostSuccess { host { ${HOST_FIELDS} } }
    ... on Error { message }
    ... on InvalidMacError { mac reason }
    ... on InvalidHostNameError { name }
    ... on DuplicateHostNameError { name }
    ... on DuplicateMacError { mac }
    ... on InputValidationError { issues { path message } }
  }
}`;

type Result = {
  __typename: string;
  host?: { id: string; name: string; macs: string[]; pending: boolean };
} & Record<string, unknown>;

let t: TestApp;
let operator: string;
let viewer: string;
let mac = 0x10;
const nextMac = () => `52:54:00:00:00:${(mac++).toString(16).padStart(2, '0')}`;

async function createHost(input: Record<string, unknown>, token = operator): Promise<Result> {
  const res = await t.gql<{ createHost: Result }>(CREATE, { variables: { input }, token });
  expect(res.errors).toBeUndefined();
  return res.data!.createHost;
}

const snapshot = () => t.db.snapshot({ exclude: ['audit_entries', 'api_tokens', 'users'] });

beforeAll(async () => {
  t = await startTestApp();
  operator = (await t.createUser('OPERATOR')).token;
  viewer = (await t.createUser('VIEWER')).token;
});
afterAll(() => t.close());

describe('createHost', () => {
  it('Given MACs in dash, dot and upper-case spellings, then the host stores them normalized', async () => {
    const result = await createHost({
      name: 'PC-01',
      macs: ['52-54-00-AB-CD-EF', '5254.00ab.cdf0'],
      description: 'Salle 12',
    });
    expect(result.__typename).toBe('CreateHostSuccess');
    expect(result.host).toMatchObject({
      name: 'PC-01',
      macs: ['52:54:00:ab:cd:ef', '52:54:00:ab:cd:f0'],
      pending: false,
    });
  });

  it.each([
    ['malformed', '52:54:00:zz:00:01', 'MALFORMED'],
    ['broadcast', 'ff:ff:ff:ff:ff:ff', 'BROADCAST'],
    ['multicast', '01:00:5e:00:00:01', 'MULTICAST'],
    ['zero', '00:00:00:00:00:00', 'ZERO'],
    ['SQL', "52:54:00:00:00:01'; drop table hosts; --", 'MALFORMED'],
  ])('Given a %s MAC, then InvalidMacError and nothing changes', async (_label, bad, reason) => {
    const before = await snapshot();
    const result = await createHost({ name: 'PC-BAD', macs: [nextMac(), bad] });
    expect(result).toMatchObject({ __typename: 'InvalidMacError', reason });
    expect(await snapshot()).toEqual(before);
  });

  it('Given no MAC at all, then InvalidMacError (a host is found by its MACs)', async () => {
    expect(await createHost({ name: 'PC-NOMAC', macs: [] })).toMatchObject({
      __typename: 'InvalidMacError',
      reason: 'NONE',
    });
  });

  it.each(
    [
      '',
      'A234567890123456',
      'x; touch /tmp/pwned',
      '$(id)',
      '`id`',
      'a|b',
      '../../etc',
      '..%2f',
      '/abs',
      'a/../../b',
      'a\u0000b',
      '\uff0e\uff0e',
      'x'.repeat(300),
      'x'.repeat(1_000_000),
      "a'--",
    ].map((name) => [JSON.stringify(name).slice(0, 24), name]),
  )('Given the host name %s, then InvalidHostNameError and nothing changes', async (_label, name) => {
    const before = await snapshot();
    const result = await createHost({ name, macs: [nextMac()] });
    expect(result.__typename).toBe('InvalidHostNameError');
    expect(String(result.name).length).toBeLessThanOrEqual(32);
    expect(await snapshot()).toEqual(before);
  });

  it('Given a name taken in another case, then DuplicateHostNameError', async () => {
    await createHost({ name: 'DUP-1', macs: [nextMac()] });
    const before = await snapshot();
    expect(await createHost({ name: 'dup-1', macs: [nextMac()] })).toMatchObject({
      __typename: 'DuplicateHostNameError',
      name: 'dup-1',
    });
    expect(await snapshot()).toEqual(before);
  });

  it('Given a MAC owned by another host (other spelling), then DuplicateMacError', async () => {
    const owned = nextMac();
    await createHost({ name: 'OWNER', macs: [owned] });
    const result = await createHost({ name: 'THIEF', macs: [owned.toUpperCase().replaceAll(':', '-')] });
    expect(result).toMatchObject({ __typename: 'DuplicateMacError', mac: owned });
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['1 MB', 'x'.repeat(1_000_000)],
  ])('Given a %s description, then InputValidationError, never a 500', async (_label, description) => {
    const result = await createHost({ name: 'DESC-1', macs: [nextMac()], description });
    expect(result.__typename).toBe('InputValidationError');
  });

  it('Given a VIEWER, then FORBIDDEN; given no token, UNAUTHENTICATED; nothing changes', async () => {
    const before = await snapshot();
    const asViewer = await t.gql(CREATE, {
      variables: { input: { name: 'NOPE', macs: [nextMac()] } },
      token: viewer,
    });
    expect(asViewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await t.gql(CREATE, { variables: { input: { name: 'NOPE', macs: [nextMac()] } } });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await snapshot()).toEqual(before);
  });
});

describe('update, approve, delete', () => {
  it('Given a registered (pending) host, when approved, then pending is false', async () => {
    const host = await t.app.services.hosts.registerHost({ macs: ['02:00:00:00:00:99'] });
    expect(host).toMatchObject({ pending: true, name: '020000000099' });
    const hostId = (
      await t.gql<{ hosts: { edges: { node: { id: string; name: string } }[] } }>(
        '{ hosts(search: "020000000099") { edges { node { id name } } } }',
        { token: viewer },
      )
    ).data!.hosts.edges[0]!.node.id;
    const res = await t.gql<{ approveHost: { host: { pending: boolean } } }>(
      'mutation($id: ID!) { approveHost(input: { id: $id }) { ... on ApproveHostSuccess { host { pending } } } }',
      { variables: { id: hostId }, token: operator },
    );
    expect(res.data?.approveHost.host.pending).toBe(false);
  });

  it('Given a host, when its MACs and name are updated, then both change; a taken name is refused', async () => {
    const a = (await createHost({ name: 'UPD-A', macs: [nextMac()] })).host!;
    await createHost({ name: 'UPD-B', macs: [nextMac()] });
    const UPDATE = `mutation($input: UpdateHostInput!) { updateHost(input: $input) { __typename
      ... on UpdateHostSuccess { host { name macs } } } }`;
    const ok = await t.gql<{ updateHost: Result }>(UPDATE, {
      variables: { input: { id: a.id, name: 'UPD-C', macs: ['5254.0000.aaaa'] } },
      token: operator,
    });
    expect(ok.data?.updateHost.host).toEqual({ name: 'UPD-C', macs: ['52:54:00:00:aa:aa'] });
    const taken = await t.gql<{ updateHost: Result }>(UPDATE, {
      variables: { input: { id: a.id, name: 'upd-b' } },
      token: operator,
    });
    expect(taken.data?.updateHost.__typename).toBe('DuplicateHostNameError');
  });

  it('Given a forged or unknown id, then HostNotFoundError, never a 500', async () => {
    const forged = Buffer.from('Host:not-a-uuid').toString('base64');
    for (const id of [
      'garbage',
      forged,
      Buffer.from('Image:00000000-0000-0000-0000-000000000000').toString('base64'),
    ]) {
      const res = await t.gql<{ deleteHost: Result }>(
        'mutation($id: ID!) { deleteHost(input: { id: $id }) { __typename } }',
        { variables: { id }, token: operator },
      );
      expect(res.data?.deleteHost.__typename).toBe('HostNotFoundError');
    }
  });

  it('Given a host, when deleted, then node(id) returns null', async () => {
    const host = (await createHost({ name: 'DEL-1', macs: [nextMac()] })).host!;
    const del = await t.gql<{ deleteHost: Result }>(
      'mutation($id: ID!) { deleteHost(input: { id: $id }) { __typename } }',
      { variables: { id: host.id }, token: operator },
    );
    expect(del.data?.deleteHost.__typename).toBe('DeleteHostSuccess');
    const res = await t.gql<{ node: unknown }>('query($id: ID!) { node(id: $id) { id } }', {
      variables: { id: host.id },
      token: viewer,
    });
    expect(res.data?.node).toBeNull();
  });
});

describe('queries', () => {
  it('Given hosts, node(id) refetches one as a Host and hostByMac finds it in any spelling', async () => {
    const host = (await createHost({ name: 'NODE-1', macs: ['52:54:00:12:34:56'] })).host!;
    const node = await t.gql<{ node: { __typename: string; name: string } }>(
      'query($id: ID!) { node(id: $id) { __typename ... on Host { name macs groups { id } inventory { cpuModel } } } }',
      { variables: { id: host.id }, token: viewer },
    );
    expect(node.errors).toBeUndefined();
    expect(node.data?.node).toMatchObject({ __typename: 'Host', name: 'NODE-1' });
    const byMac = await t.gql<{ hostByMac: { id: string } }>(
      '{ hostByMac(mac: "52-54-00-12-34-56") { id } }',
      {
        token: viewer,
      },
    );
    expect(byMac.data?.hostByMac.id).toBe(host.id);
  });

  it('Given more hosts than a page, then first/after pages through all of them once, with totalCount', async () => {
    for (let i = 0; i < 5; i++) await createHost({ name: `PAGE-${i}`, macs: [nextMac()] });
    const PAGE = `query($after: String) { hosts(first: 2, after: $after, search: "page-") {
      totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }`;
    const names: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      type Page = {
        hosts: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string };
          edges: { node: { name: string } }[];
        };
      };
      const res: { data?: Page | null } = await t.gql<Page>(PAGE, { variables: { after }, token: viewer });
      const page: Page['hosts'] = res.data!.hosts;
      expect(page.totalCount).toBe(5);
      names.push(...page.edges.map((e) => e.node.name));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(names).toEqual(['PAGE-0', 'PAGE-1', 'PAGE-2', 'PAGE-3', 'PAGE-4']);
  });

  it('Given a search with LIKE wildcards and quotes, then they match literally', async () => {
    const res = await t.gql<{ hosts: { totalCount: number } }>(
      `{ hosts(search: "%' or 1=1 --") { totalCount } }`,
      {
        token: viewer,
      },
    );
    expect(res.data?.hosts.totalCount).toBe(0);
  });

  it('Given 1 MB in search or hostByMac, then a clean refusal or null, never a 500', async () => {
    const big = 'x'.repeat(1_000_000);
    const search = await t.gql('query($s: String) { hosts(search: $s) { totalCount } }', {
      variables: { s: big },
      token: viewer,
    });
    expect(search.status).toBeLessThan(500);
    expect(search.errors?.length ?? 0).toBeGreaterThan(0);
    const byMac = await t.gql<{ hostByMac: null }>('query($m: String!) { hostByMac(mac: $m) { id } }', {
      variables: { m: `${big}\u0000` },
      token: viewer,
    });
    expect(byMac.data?.hostByMac).toBeNull();
  });
});
