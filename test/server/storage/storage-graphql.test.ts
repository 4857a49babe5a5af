import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStorageUrl } from '../../../server/src/storage/storage-rules.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';

let t: TestApp;
let admin: string;
let operator: string;
const snapshot = () => t.db.snapshot({ exclude: ['audit_entries', 'api_tokens', 'users'] });

beforeAll(async () => {
  t = await startTestApp();
  admin = (await t.createUser('ADMIN')).token;
  operator = (await t.createUser('OPERATOR')).token;
});
afterAll(() => t.close());

const CREATE = `mutation($input: CreateStorageNodeInput!) { createStorageNode(input: $input) { __typename
  ... on CreateStorageNodeSuccess { storageNode { id name url role maxClients } } ... on Error { message } } }`;
type Payload = { __typename: string; storageNode?: { id: string; url: string } };

async function create(input: Record<string, unknown>, token = admin): Promise<Payload> {
  const res = await t.gql<{ createStorageNode: Payload }>(CREATE, { variables: { input }, token });
  if (res.errors) return { __typename: String(res.errors[0]?.extensions?.code) };
  return res.data!.createStorageNode;
}

describe('storage URLs', () => {
  it.each([
    ['http://10.0.0.5:8080/', 'http://10.0.0.5:8080'],
    ['https://store.lab/brume', 'https://store.lab/brume'],
  ])('accepts %s', (input, expected) => expect(parseStorageUrl(input)).toBe(expected));
  it.each(['ftp://x', 'http://user:pw@x', 'http://x/?a=1', 'x; touch /tmp/pwned', 'file:///etc/passwd', ''])(
    'refuses %j',
    (input) => expect(parseStorageUrl(input)).toBeUndefined(),
  );
});

describe('storage nodes over GraphQL (ADMIN only)', () => {
  it('Given an ADMIN, then CRUD works and node(id) refetches it', async () => {
    const created = await create({ name: 'node-a', url: 'http://10.0.0.5:8080/', maxClients: 5 });
    expect(created).toMatchObject({
      __typename: 'CreateStorageNodeSuccess',
      storageNode: { url: 'http://10.0.0.5:8080' },
    });
    const id = created.storageNode!.id;
    const upd = await t.gql<{ updateStorageNode: { __typename: string } }>(
      'mutation($id: ID!) { updateStorageNode(input: { id: $id, enabled: false, role: MASTER }) { __typename } }',
      { variables: { id }, token: admin },
    );
    expect(upd.data?.updateStorageNode.__typename).toBe('UpdateStorageNodeSuccess');
    const node = await t.gql<{ node: { enabled: boolean; role: string } }>(
      'query($id: ID!) { node(id: $id) { ... on StorageNode { enabled role } } }',
      { variables: { id }, token: admin },
    );
    expect(node.data?.node).toEqual({ enabled: false, role: 'MASTER' });
    const list = await t.gql<{ storageNodes: { totalCount: number } }>('{ storageNodes { totalCount } }', {
      token: admin,
    });
    expect(list.data?.storageNodes.totalCount).toBe(1);
    const del = await t.gql<{ deleteStorageNode: { __typename: string } }>(
      'mutation($id: ID!) { deleteStorageNode(input: { id: $id }) { __typename } }',
      { variables: { id }, token: admin },
    );
    expect(del.data?.deleteStorageNode.__typename).toBe('DeleteStorageNodeSuccess');
  });

  it('Given bad input, then typed errors and nothing changes', async () => {
    await create({ name: 'node-b', url: 'http://10.0.0.6' });
    const before = await snapshot();
    expect((await create({ name: '../x', url: 'http://10.0.0.7' })).__typename).toBe(
      'InvalidStorageNodeNameError',
    );
    expect((await create({ name: 'node-c', url: 'http://u:p@10.0.0.7' })).__typename).toBe(
      'InvalidStorageUrlError',
    );
    expect((await create({ name: 'node-c', url: 'x'.repeat(1_000_000) })).__typename).toBe(
      'InvalidStorageUrlError',
    );
    expect((await create({ name: 'NODE-B', url: 'http://10.0.0.7' })).__typename).toBe(
      'DuplicateStorageNodeNameError',
    );
    expect((await create({ name: 'node-c', url: 'http://10.0.0.7', maxClients: 0 })).__typename).toBe(
      'InputValidationError',
    );
    expect(await snapshot()).toEqual(before);
  });

  it('Given an OPERATOR, then creating or listing storage nodes is FORBIDDEN', async () => {
    const before = await snapshot();
    expect((await create({ name: 'node-d', url: 'http://10.0.0.8' }, operator)).__typename).toBe('FORBIDDEN');
    const list = await t.gql('{ storageNodes { totalCount } }', { token: operator });
    expect(list.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await snapshot()).toEqual(before);
  });
});
