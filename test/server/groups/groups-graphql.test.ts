import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidGroupName } from '../../../server/src/groups/group-rules.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { gid, makeHost } from '../tasks/task-fixtures.ts';

let t: TestApp;
let operator: string;
let viewer: string;
const snapshot = () => t.db.snapshot({ exclude: ['audit_entries', 'api_tokens', 'users'] });

beforeAll(async () => {
  t = await startTestApp();
  operator = (await t.createUser('OPERATOR')).token;
  viewer = (await t.createUser('VIEWER')).token;
});
afterAll(() => t.close());

type Payload = { __typename: string; group?: { id: string; name: string; hosts: { name: string }[] } };
const CREATE = `mutation($input: CreateGroupInput!) { createGroup(input: $input) { __typename
  ... on CreateGroupSuccess { group { id name hosts { name } } } ... on Error { message } } }`;
const ADD = `mutation($input: GroupHostsInput!) { addHostsToGroup(input: $input) { __typename
  ... on AddHostsToGroupSuccess { group { hosts { name } } } } }`;
const REMOVE = `mutation($input: GroupHostsInput!) { removeHostsFromGroup(input: $input) { __typename
  ... on RemoveHostsFromGroupSuccess { group { hosts { name } } } } }`;

async function createGroup(name: string, token = operator): Promise<Payload> {
  const res = await t.gql<{ createGroup: Payload }>(CREATE, { variables: { input: { name } }, token });
  return res.data!.createGroup;
}

describe('group names', () => {
  it.each(['Salle 12', 'Lab-B', 'Élèves (CM2)', 'a'])('accepts %j', (name) =>
    expect(isValidGroupName(name)).toBe(true),
  );
  it.each(['', ' lead', 'trail ', 'a;b', '$(id)', 'a\u0000b', 'x'.repeat(65), '../x'])('refuses %j', (name) =>
    expect(isValidGroupName(name)).toBe(false),
  );
});

describe('groups over GraphQL', () => {
  it('Given bad or duplicate names, then typed errors and nothing changes', async () => {
    await createGroup('Salle 12');
    const before = await snapshot();
    expect((await createGroup('x; touch /tmp/pwned')).__typename).toBe('InvalidGroupNameError');
    expect((await createGroup('x'.repeat(1_000_000))).__typename).toBe('InvalidGroupNameError');
    expect((await createGroup('salle 12')).__typename).toBe('DuplicateGroupNameError');
    expect(await snapshot()).toEqual(before);
  });

  it('Given hosts, when added (twice) and removed, then membership follows and Host.groups agrees', async () => {
    const group = (await createGroup('Lab-A')).group!;
    const [a, b] = [await makeHost(t, 'GR'), await makeHost(t, 'GR')];
    const hostIds = [gid('Host', a.id), gid('Host', b.id)];
    const added = await t.gql<{ addHostsToGroup: Payload }>(ADD, {
      variables: { input: { groupId: group.id, hostIds } },
      token: operator,
    });
    expect(added.data?.addHostsToGroup.group?.hosts.map((h) => h.name).sort()).toEqual(
      [a.name, b.name].sort(),
    );
    await t.gql(ADD, { variables: { input: { groupId: group.id, hostIds } }, token: operator });
    const removed = await t.gql<{ removeHostsFromGroup: Payload }>(REMOVE, {
      variables: { input: { groupId: group.id, hostIds: [hostIds[0]] } },
      token: operator,
    });
    expect(removed.data?.removeHostsFromGroup.group?.hosts.map((h) => h.name)).toEqual([b.name]);
    const host = await t.gql<{ node: { groups: { name: string }[] } }>(
      'query($id: ID!) { node(id: $id) { ... on Host { groups { name } } } }',
      { variables: { id: hostIds[1] }, token: viewer },
    );
    expect(host.data?.node.groups).toEqual([{ name: 'Lab-A' }]);
  });

  it('Given an unknown host among several, then HostNotFoundError and no membership changes', async () => {
    const group = (await createGroup('Lab-C')).group!;
    const a = await makeHost(t, 'GR');
    const before = await snapshot();
    const res = await t.gql<{ addHostsToGroup: Payload }>(ADD, {
      variables: {
        input: {
          groupId: group.id,
          hostIds: [gid('Host', a.id), gid('Host', '00000000-0000-0000-0000-000000000001')],
        },
      },
      token: operator,
    });
    expect(res.data?.addHostsToGroup.__typename).toBe('HostNotFoundError');
    expect(await snapshot()).toEqual(before);
  });

  it('Given a group, then update, node(id), groups connection and delete work; a VIEWER cannot create', async () => {
    const group = (await createGroup('Lab-D')).group!;
    const upd = await t.gql<{ updateGroup: { __typename: string } }>(
      'mutation($id: ID!) { updateGroup(input: { id: $id, description: "2nd floor" }) { __typename } }',
      { variables: { id: group.id }, token: operator },
    );
    expect(upd.data?.updateGroup.__typename).toBe('UpdateGroupSuccess');
    const node = await t.gql<{ node: { __typename: string; description: string } }>(
      'query($id: ID!) { node(id: $id) { __typename ... on Group { description } } }',
      { variables: { id: group.id }, token: viewer },
    );
    expect(node.data?.node).toEqual({ __typename: 'Group', description: '2nd floor' });
    const list = await t.gql<{ groups: { totalCount: number; edges: unknown[] } }>(
      '{ groups(first: 1) { totalCount edges { node { name } } } }',
      {
        token: viewer,
      },
    );
    expect(list.data?.groups.totalCount).toBeGreaterThanOrEqual(4);
    expect(list.data?.groups.edges).toHaveLength(1);
    const del = await t.gql<{ deleteGroup: { __typename: string } }>(
      'mutation($id: ID!) { deleteGroup(input: { id: $id }) { __typename } }',
      { variables: { id: group.id }, token: operator },
    );
    expect(del.data?.deleteGroup.__typename).toBe('DeleteGroupSuccess');
    const denied = await t.gql(CREATE, { variables: { input: { name: 'nope' } }, token: viewer });
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
