import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { gid, makeHost, system } from '../tasks/task-fixtures.ts';

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

type Payload = { __typename: string; image?: { id: string; name: string } } & Record<string, unknown>;
const CREATE = `mutation($input: CreateImageInput!) { createImage(input: $input) { __typename
  ... on CreateImageSuccess { image { id name osType fogOsId imageType fogImageTypeCode protected enabled currentVersion { id } } }
  ... on InvalidImageNameError { name } ... on DuplicateImageNameError { name } ... on Error { message } } }`;
const DELETE = `mutation($id: ID!) { deleteImage(input: { id: $id }) { __typename ... on Error { message } } }`;

async function createImage(name: string, extra: Record<string, unknown> = {}): Promise<Payload> {
  const res = await t.gql<{ createImage: Payload }>(CREATE, {
    variables: { input: { name, osType: 'WINDOWS_11', imageType: 'SINGLE_DISK_RESIZABLE', ...extra } },
    token: operator,
  });
  expect(res.errors).toBeUndefined();
  return res.data!.createImage;
}

const hash = (c: string) => c.repeat(64);
const version = (imageId: string, extra: Record<string, unknown> = {}) => ({
  imageId,
  sizeBytes: 64 * 2 ** 30,
  storedBytes: 20 * 2 ** 30,
  blockCount: 16384,
  manifestHash: hash('b'),
  ...extra,
});

describe('createImage', () => {
  it('Given a valid name, then the image with FOG ids and no current version', async () => {
    const result = await createImage('Win11_23H2.v1');
    expect(result).toMatchObject({
      __typename: 'CreateImageSuccess',
      image: {
        name: 'Win11_23H2.v1',
        osType: 'WINDOWS_11',
        fogImageTypeCode: 'n',
        protected: false,
        enabled: true,
        currentVersion: null,
      },
    });
  });

  it.each(
    [
      '',
      '.',
      '..',
      '../../etc',
      '..%2f',
      '/abs',
      'a/../../b',
      'x; touch /tmp/pwned',
      '$(id)',
      '`id`',
      'a|b',
      'a\u0000b',
      '\uff0e\uff0e',
      'x'.repeat(300),
      'x'.repeat(1_000_000),
    ].map((n) => [JSON.stringify(n).slice(0, 24), n]),
  )('Given the name %s, then InvalidImageNameError and nothing changes', async (_l, name) => {
    const before = await snapshot();
    expect((await createImage(name)).__typename).toBe('InvalidImageNameError');
    expect(await snapshot()).toEqual(before);
  });

  it('Given a name taken in another case, then DuplicateImageNameError', async () => {
    await createImage('dup-img');
    expect(await createImage('DUP-IMG')).toMatchObject({
      __typename: 'DuplicateImageNameError',
      name: 'DUP-IMG',
    });
  });

  it('Given an unknown osType, then a GraphQL validation error (enum), nothing created', async () => {
    const before = await snapshot();
    const res = await t.gql(CREATE, {
      variables: { input: { name: 'x1', osType: 'WINDOWS_95', imageType: 'RAW' } },
      token: operator,
    });
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(before);
  });
});

describe('deleteImage and protection', () => {
  it('Given a protected image, then deleteImage is refused with ImageProtectedError; once unprotected it is deleted', async () => {
    const image = (await createImage('prot-1')).image!;
    const protect = await t.gql<{ setImageProtected: { image: { protected: boolean } } }>(
      'mutation($id: ID!) { setImageProtected(input: { id: $id, protected: true }) { ... on SetImageProtectedSuccess { image { protected } } } }',
      { variables: { id: image.id }, token: operator },
    );
    expect(protect.data?.setImageProtected.image.protected).toBe(true);
    const before = await snapshot();
    const refused = await t.gql<{ deleteImage: Payload }>(DELETE, {
      variables: { id: image.id },
      token: operator,
    });
    expect(refused.data?.deleteImage.__typename).toBe('ImageProtectedError');
    expect(await snapshot()).toEqual(before);
    await t.gql(
      'mutation($id: ID!) { setImageProtected(input: { id: $id, protected: false }) { __typename } }',
      {
        variables: { id: image.id },
        token: operator,
      },
    );
    const deleted = await t.gql<{ deleteImage: Payload }>(DELETE, {
      variables: { id: image.id },
      token: operator,
    });
    expect(deleted.data?.deleteImage.__typename).toBe('DeleteImageSuccess');
  });

  it('Given an image an active task uses, then ImageInUseError; after the task ends, deletion works', async () => {
    const image = await t.app.services.images.createImage({
      name: 'busy-1',
      osType: 'LINUX',
      imageType: 'RAW',
    });
    const task = await t.app.services.tasks.startCapture(
      { hostId: (await makeHost(t, 'IMG')).id, imageId: image.id },
      system,
    );
    const refused = await t.gql<{ deleteImage: Payload }>(DELETE, {
      variables: { id: gid('Image', image.id) },
      token: operator,
    });
    expect(refused.data?.deleteImage.__typename).toBe('ImageInUseError');
    await t.app.services.tasks.cancelTask(task.id);
    const deleted = await t.gql<{ deleteImage: Payload }>(DELETE, {
      variables: { id: gid('Image', image.id) },
      token: operator,
    });
    expect(deleted.data?.deleteImage.__typename).toBe('DeleteImageSuccess');
    expect((await t.app.services.tasks.getTask(task.id))?.imageId).toBeNull();
  });

  it('Given a forged id, then ImageNotFoundError', async () => {
    const res = await t.gql<{ deleteImage: Payload }>(DELETE, {
      variables: { id: gid('Image', "1' or '1'='1") },
      token: operator,
    });
    expect(res.data?.deleteImage.__typename).toBe('ImageNotFoundError');
  });
});

describe('image versions', () => {
  it('Given captures published one after another, then numbers grow and exactly one is current', async () => {
    const image = await t.app.services.images.createImage({
      name: 'ver-1',
      osType: 'LINUX',
      imageType: 'RAW',
    });
    const svc = t.app.services.images;
    const v1 = await svc.publishImageVersion(version(image.id));
    const v2 = await svc.publishImageVersion(version(image.id, { manifestHash: hash('c') }));
    expect([v1.number, v2.number]).toEqual([1, 2]);
    const versions = await svc.listVersions(image.id);
    expect(versions.filter((v) => v.current).map((v) => v.number)).toEqual([2]);
    await svc.setCurrentImageVersion(v1.id);
    expect((await svc.getCurrentVersion(image.id))?.number).toBe(1);
  });

  it('Given concurrent publishes, then distinct numbers and one current version', async () => {
    const image = await t.app.services.images.createImage({
      name: 'ver-race',
      osType: 'LINUX',
      imageType: 'RAW',
    });
    const svc = t.app.services.images;
    const published = await Promise.all([1, 2, 3, 4].map(() => svc.publishImageVersion(version(image.id))));
    expect(published.map((v) => v.number).sort()).toEqual([1, 2, 3, 4]);
    expect((await svc.listVersions(image.id)).filter((v) => v.current)).toHaveLength(1);
  });

  it('Given a publish that fails mid-transaction, then nothing of it is visible and the previous version stays current', async () => {
    const image = await t.app.services.images.createImage({
      name: 'ver-atomic',
      osType: 'LINUX',
      imageType: 'RAW',
    });
    const svc = t.app.services.images;
    const v1 = await svc.publishImageVersion(version(image.id));
    const before = await snapshot();
    // 2^31 blocks passes the input check but overflows the int4 column: the insert fails AFTER the
    // current flag was cleared inside the transaction.
    await expect(svc.publishImageVersion(version(image.id, { blockCount: 2 ** 31 }))).rejects.toThrow();
    expect(await snapshot()).toEqual(before);
    expect((await svc.getCurrentVersion(image.id))?.id).toBe(v1.id);
  });

  it('Given bad counters or hash, then InputValidationError before any write', async () => {
    const image = await t.app.services.images.createImage({
      name: 'ver-bad',
      osType: 'LINUX',
      imageType: 'RAW',
    });
    await expect(
      t.app.services.images.publishImageVersion(version(image.id, { manifestHash: 'zz' })),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(
      t.app.services.images.publishImageVersion(version(image.id, { sizeBytes: -1 })),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('Given an image with versions, then node(id) refetches Image and ImageVersion and setCurrentImageVersion works over GraphQL', async () => {
    const image = await t.app.services.images.createImage({
      name: 'ver-node',
      osType: 'OTHER',
      imageType: 'RAW',
    });
    const v1 = await t.app.services.images.publishImageVersion(version(image.id));
    await t.app.services.images.publishImageVersion(version(image.id));
    const res = await t.gql<{ node: { versions: { id: string; number: number; current: boolean }[] } }>(
      'query($id: ID!) { node(id: $id) { ... on Image { name versions { id number current sizeBytes } currentVersion { number } } } }',
      { variables: { id: gid('Image', image.id) }, token: viewer },
    );
    expect(res.data?.node.versions.map((v) => [v.number, v.current])).toEqual([
      [2, true],
      [1, false],
    ]);
    const vNode = await t.gql<{ node: { __typename: string; number: number } }>(
      'query($id: ID!) { node(id: $id) { __typename ... on ImageVersion { number image { name } } } }',
      { variables: { id: gid('ImageVersion', v1.id) }, token: viewer },
    );
    expect(vNode.data?.node).toMatchObject({ __typename: 'ImageVersion', number: 1 });
    const set = await t.gql<{
      setCurrentImageVersion: { __typename: string; version?: { current: boolean } };
    }>(
      'mutation($v: ID!) { setCurrentImageVersion(input: { versionId: $v }) { __typename ... on SetCurrentImageVersionSuccess { version { current } } } }',
      { variables: { v: gid('ImageVersion', v1.id) }, token: operator },
    );
    expect(set.data?.setCurrentImageVersion).toMatchObject({
      __typename: 'SetCurrentImageVersionSuccess',
      version: { current: true },
    });
  });

  it('Given images, then images(first, after) pages with totalCount', async () => {
    const res = await t.gql<{
      images: { totalCount: number; edges: unknown[]; pageInfo: { hasNextPage: boolean } };
    }>('{ images(first: 2) { totalCount edges { node { id } } pageInfo { hasNextPage } } }', {
      token: viewer,
    });
    expect(res.data?.images.totalCount).toBe(await t.app.services.images.countImages());
    expect(res.data?.images.edges).toHaveLength(2);
    expect(res.data?.images.pageInfo.hasNextPage).toBe(true);
  });
});
