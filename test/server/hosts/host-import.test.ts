/** FOG's Import Hosts through GraphQL: a CSV file, all rows or none, every problem with its line. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../tui/src/api/graphql-client.ts';
import { createGraphqlConsolePort } from '../../../tui/src/api/graphql-console-port.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';

let t: TestApp;
let operator: string;
let viewer: string;

const IMPORT = `mutation($i: ImportHostsInput!) { importHosts(input: $i) {
  __typename
  ... on ImportHostsSuccess { dryRun rows hosts { name macs description groups { name } } }
  ... on HostImportError { message problems { line message } }
} }`;

interface Answer {
  __typename: string;
  dryRun?: boolean;
  rows?: number;
  hosts?: { name: string; macs: string[]; description: string; groups: { name: string }[] }[];
  message?: string;
  problems?: { line: number; message: string }[];
}

async function importCsv(csv: string, dryRun = false, token = operator): Promise<Answer> {
  const res = await t.gql<{ importHosts: Answer }>(IMPORT, { token, variables: { i: { csv, dryRun } } });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.importHosts;
}

const hostCount = async () => (await t.app.services.hosts.countHosts()) as number;

beforeAll(async () => {
  t = await startTestApp();
  operator = (await t.createUser('OPERATOR')).token;
  viewer = (await t.createUser('VIEWER')).token;
  await t.gql('mutation { createGroup(input: { name: "Room-101" }) { __typename } }', { token: operator });
  await t.gql(
    'mutation { createHost(input: { name: "existing", macs: ["52:54:00:00:99:01"] }) { __typename } }',
    { token: operator },
  );
});

afterAll(async () => {
  await t?.close();
});

describe('importHosts', () => {
  it('imports every row, with several MACs, quoted fields and groups; a dry run writes nothing', async () => {
    const csv = [
      '\ufeffName,MAC,Description,Groups',
      'pc-01,52:54:00:10:00:01,"Front row, left",room-101',
      'pc-02,52-54-00-10-00-02 | 52:54:00:10:00:12,"says ""hi""",',
      '',
      'pc-03,5254.0010.0003,,Room-101',
    ].join('\r\n');
    const before = await hostCount();
    const dry = await importCsv(csv, true);
    expect(dry).toMatchObject({ __typename: 'ImportHostsSuccess', dryRun: true, rows: 3, hosts: [] });
    expect(await hostCount()).toBe(before);

    const done = await importCsv(csv);
    expect(done.__typename).toBe('ImportHostsSuccess');
    expect(done.hosts).toEqual([
      {
        name: 'pc-01',
        macs: ['52:54:00:10:00:01'],
        description: 'Front row, left',
        groups: [{ name: 'Room-101' }],
      },
      {
        name: 'pc-02',
        macs: ['52:54:00:10:00:02', '52:54:00:10:00:12'],
        description: 'says "hi"',
        groups: [],
      },
      { name: 'pc-03', macs: ['52:54:00:10:00:03'], description: '', groups: [{ name: 'Room-101' }] },
    ]);
    expect(await hostCount()).toBe(before + 3);
  });

  it('one bad line imports nothing, and every problem is named with its line', async () => {
    const csv = [
      'mac,name,groups',
      '52:54:00:20:00:01,lab-1,',
      '52:54:00:20:00:02,bad name!,',
      'ff:ff:ff:ff:ff:ff,lab-3,',
      '52:54:00:20:00:01,lab-4,',
      '52:54:00:20:00:05,LAB-1,',
      '52:54:00:00:99:01,lab-6,',
      '52:54:00:20:00:07,Existing,',
      '52:54:00:20:00:08,lab-8,Room-999',
    ].join('\n');
    const before = await hostCount();
    const answer = await importCsv(csv);
    expect(answer.__typename).toBe('HostImportError');
    expect(answer.message).toContain('nothing was imported');
    const byLine = (answer.problems ?? []).map((p) => [p.line, p.message]);
    expect(byLine).toEqual([
      [3, expect.stringContaining('Host name')],
      [4, expect.stringContaining('broadcast')],
      [5, 'MAC 52:54:00:20:00:01 is also on line 2'],
      [6, 'name LAB-1 is also on line 2'],
      [7, 'MAC 52:54:00:00:99:01 already belongs to host existing'],
      [8, 'a host named existing already exists'],
      [9, 'no group named "Room-999" (create it first)'],
    ]);
    expect(await hostCount()).toBe(before);
  });

  it('a broken file or header is refused, typed', async () => {
    const header = await importCsv('mac,hostname\n52:54:00:30:00:01,x');
    expect(header.problems).toEqual([
      {
        line: 1,
        message:
          'unknown column "hostname", no "name" column; the columns are mac, name, description, groups',
      },
    ]);
    const quote = await importCsv('mac,name\n52:54:00:30:00:02,"unclosed\n');
    expect(quote.__typename).toBe('HostImportError');
    expect(quote.problems?.[0]?.message).toMatch(/quote/i);
    const ragged = await importCsv('mac,name\n52:54:00:30:00:03,a,extra\n');
    expect(ragged.problems?.[0]?.line).toBe(2);
    const empty = await importCsv('mac,name\n');
    expect(empty.problems).toEqual([{ line: 1, message: 'no host in the file' }]);
    const big = await importCsv(`mac,name\n${'x'.repeat(1024 * 1024)}`);
    expect(big.problems?.[0]?.message).toContain('over 1048576 bytes');
  });

  it('hostsCsv exports what importHosts takes: a round trip to another server gives the same file', async () => {
    await t.gql(
      'mutation { createHost(input: { name: "formula", macs: ["52:54:00:50:00:01", "52:54:00:50:00:02"], description: "=HYPERLINK(\\"x\\"), really" }) { __typename } }',
      { token: operator },
    );
    const first = await t.gql<{ hostsCsv: string }>('{ hostsCsv }', { token: viewer });
    const csv = first.data!.hostsCsv;
    expect(csv.split('\r\n')[0]).toBe('mac,name,description,groups');
    // A spreadsheet must not run it as a formula: defused behind a quote.
    expect(csv).toContain('52:54:00:50:00:01|52:54:00:50:00:02,formula,"\'=HYPERLINK(""x""), really",');
    expect(csv).toContain('52:54:00:10:00:01,pc-01,"Front row, left",Room-101');

    const other = await startTestApp();
    try {
      const admin = (await other.createUser('OPERATOR')).token;
      await other.gql('mutation { createGroup(input: { name: "Room-101" }) { __typename } }', {
        token: admin,
      });
      const imported = await other.gql<{ importHosts: Answer }>(IMPORT, {
        token: admin,
        variables: { i: { csv } },
      });
      expect(imported.data?.importHosts.__typename).toBe('ImportHostsSuccess');
      const formula = imported.data?.importHosts.hosts?.find((h) => h.name === 'formula');
      expect(formula?.description).toBe('=HYPERLINK("x"), really');
      const again = await other.gql<{ hostsCsv: string }>('{ hostsCsv }', { token: admin });
      expect(again.data?.hostsCsv).toBe(csv);
    } finally {
      await other.close();
    }
  });

  it("a lab past the console's page: 250 hosts in one file, and the console's search finds one past it", async () => {
    const rows = Array.from({ length: 250 }, (_, i) => {
      const n = i + 1;
      return `52:54:00:60:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')},zz-${String(n).padStart(3, '0')}`;
    });
    const done = await importCsv(['mac,name', ...rows].join('\n'));
    expect(done.rows).toBe(250);
    const api = createApiClient({ server: (await t.listen()).url.replace(/\/graphql$/, ''), token: viewer });
    try {
      const port = createGraphqlConsolePort(api.client);
      const page = await port.loadHosts();
      expect(page.hosts.length).toBeLessThan(page.totalCount);
      expect(page.hosts.some((h) => h.name === 'zz-250')).toBe(false);
      expect((await port.searchHosts('zz-250')).map((h) => h.name)).toEqual(['zz-250']);
    } finally {
      api.close();
    }
  });

  it('a viewer may not import', async () => {
    const res = await t.gql(IMPORT, {
      token: viewer,
      variables: { i: { csv: 'mac,name\n52:54:00:40:00:01,v' } },
    });
    expect(res.errors?.[0]?.extensions?.code).toBeDefined();
    expect(res.data?.importHosts ?? null).toBeNull();
  });
});
