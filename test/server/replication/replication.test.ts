/**
 * Image replication between two real brume-servers on loopback (PROTOCOL.md "Replication"): each
 * has its own database and image store. The source pushes; the replica verifies every chunk and
 * publishes the version whole; a client then deploys from the replica.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalID } from '../../../server/src/graphql/global-id.ts';
import {
  openLocalStore,
  parseManifest,
  referencedHashes,
  verifyImage,
} from '../../../server/src/imaging/index.ts';
import { replicaDeletions } from '../../../server/src/replication/replication-table.ts';
import { createApiClient } from '../../../tui/src/api/graphql-client.ts';
import { createGraphqlConsolePort } from '../../../tui/src/api/graphql-console-port.ts';
import { webhookReceiver } from '../../support/webhook-receiver.ts';
import {
  blankFile,
  call,
  cancelTask,
  createHost,
  createImage,
  randomDisk,
  rawId,
  runClient,
  seedImage,
  startAppWithImage,
  startDeploy,
  startTransferApp,
  type TransferApp,
  taskState,
  until,
} from '../transfer/transfer-harness.ts';

let source: TransferApp;
let replica: TransferApp;
let image: { id: string; name: string };
let sourceAdmin: string;
let replicaToken: string;
const SOURCE_NAME = 'school-main';

async function adminGql<T>(a: TransferApp, token: string, query: string, variables: Record<string, unknown>) {
  const res = await a.gql<T>(query, { token, variables });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as T;
}

async function apiToken(a: TransferApp, role: 'ADMIN' | 'VIEWER'): Promise<string> {
  const admin = await a.t.createUser('ADMIN');
  const d = await adminGql<{ createApiToken: { token: string } }>(
    a,
    admin.token,
    'mutation($r: Role!) { createApiToken(input: { name: "replication", role: $r }) { ... on CreateApiTokenSuccess { token } } }',
    { r: role },
  );
  return d.createApiToken.token;
}

async function addNode(name: string, url: string, token: string | null): Promise<string> {
  const d = await adminGql<{
    createStorageNode: { storageNode: { id: string; hasReplicationToken: boolean } };
  }>(
    source,
    sourceAdmin,
    `mutation($i: CreateStorageNodeInput!) { createStorageNode(input: $i) {
       ... on CreateStorageNodeSuccess { storageNode { id hasReplicationToken } } } }`,
    { i: { name, url, role: 'REPLICA', ...(token ? { replicationToken: token } : {}) } },
  );
  expect(d.createStorageNode.storageNode.hasReplicationToken).toBe(token !== null);
  return d.createStorageNode.storageNode.id;
}

interface ReplicaRow {
  state: string;
  chunksSent: number;
  bytesSent: number;
  error: string | null;
  attempts: number;
  imageVersion: { id: string } | null;
}

/** Starts a pass through the API, waits for it, and reads the node's rows back. */
async function replicate(nodeId: string): Promise<ReplicaRow[]> {
  const d = await adminGql<{ replicateImages: { __typename: string; message?: string } }>(
    source,
    sourceAdmin,
    'mutation($i: ReplicateImagesInput!) { replicateImages(input: $i) { __typename ... on Error { message } } }',
    { i: { storageNodeId: nodeId } },
  );
  expect(d.replicateImages.__typename).toBe('ReplicateImagesSuccess');
  await until(() => !source.t.app.services.replication.busy(), 30_000, 'the replication pass');
  const rows = await adminGql<{ node: { replicas: { edges: { node: ReplicaRow }[] } } }>(
    source,
    sourceAdmin,
    `query($id: ID!) { node(id: $id) { ... on StorageNode { replicas { edges { node {
       state chunksSent bytesSent error attempts imageVersion { id } } } } } } }`,
    { id: nodeId },
  );
  return rows.node.replicas.edges.map((e) => e.node);
}

const replicaImage = (name: string) =>
  replica.t.app.services.images
    .listImages({ offset: 0, limit: 100 })
    .then((all) => all.find((i) => i.name === name));

beforeAll(async () => {
  ({ app: source, image } = await startAppWithImage(6, { BRUME_NODE_NAME: SOURCE_NAME }));
  replica = await startTransferApp();
  sourceAdmin = (await source.t.createUser('ADMIN')).token;
  replicaToken = await apiToken(replica, 'ADMIN');
}, 60_000);

afterAll(async () => {
  await source?.close();
  await replica?.close();
});

describe('replication to a REPLICA storage node', () => {
  let nodeId: string;

  it('pushes the current version: every chunk verified and stored there, the version published whole', async () => {
    nodeId = await addNode('site-b', replica.base, replicaToken);
    const rows = await replicate(nodeId);
    const current = await source.t.app.services.images.getCurrentVersion(rawId(image.id));
    const version = await source.t.app.services.images.getVersion(current!.id);
    const manifest = parseManifest(JSON.stringify(version!.manifest));
    const chunks = referencedHashes(manifest).size;
    expect(rows).toEqual([
      expect.objectContaining({ state: 'DONE', chunksSent: chunks, error: null, attempts: 1 }),
    ]);
    expect(rows[0]!.bytesSent).toBeGreaterThan(6 * 1024 * 1024);

    const copy = await replicaImage(image.name);
    expect(copy?.replicaOf).toBe(SOURCE_NAME);
    const copied = await replica.t.app.services.images.getCurrentVersion(copy!.id);
    expect(copied).toMatchObject({
      id: version!.id,
      number: version!.number,
      manifestHash: version!.manifestHash,
    });
    // The token is kept for pushing, never echoed: not in the audit log of the mutation that set it.
    const entries = await source.t.app.services.audit.list({}, { offset: 0, limit: 200 });
    expect(entries.some((e) => e.action.includes('createStorageNode'))).toBe(true);
    expect(JSON.stringify(entries)).not.toContain(replicaToken);
    const check = await verifyImage({
      store: openLocalStore(replica.imagesDir).chunks,
      manifest,
      workers: 0,
    });
    expect(check).toMatchObject({ chunks, problems: [] });
  });

  it('a second pass sends no chunk and publishes nothing new; a chunk lost on the node is sent again', async () => {
    const again = await replicate(nodeId);
    expect(again).toEqual([expect.objectContaining({ state: 'DONE', chunksSent: 0, attempts: 2 })]);
    const copy = await replicaImage(image.name);
    expect(await replica.t.app.services.images.listVersions(copy!.id)).toHaveLength(1);

    const chunkDir = path.join(replica.imagesDir, 'chunks');
    const [a] = fs.readdirSync(chunkDir);
    const [b] = fs.readdirSync(path.join(chunkDir, a!));
    const [file] = fs.readdirSync(path.join(chunkDir, a!, b!));
    fs.rmSync(path.join(chunkDir, a!, b!, file!));
    const healed = await replicate(nodeId);
    expect(healed).toEqual([expect.objectContaining({ state: 'DONE', chunksSent: 1 })]);
    expect(fs.existsSync(path.join(chunkDir, a!, b!, file!))).toBe(true);
  });

  it('a pass asked for one node while another runs is not lost: a follow-up covers it', async () => {
    const first = await addNode('site-d', replica.base, replicaToken);
    const second = await addNode('site-e', replica.base, replicaToken);
    const passes = source.t.app.services.replication;
    await Promise.all([passes.runPass(rawId(first)), passes.runPass(rawId(second))]);
    for (const id of [first, second]) {
      const rows = await passes.listReplicas(rawId(id), { offset: 0, limit: 5 });
      expect(rows.map((r) => r.state)).toEqual(['DONE']);
    }
    for (const id of [first, second]) {
      await source.t.app.services.storage.deleteStorageNode(rawId(id));
    }
  });

  it('a client deploys the replicated image from the replica, and captures into it are refused', async () => {
    const copy = await replicaImage(image.name);
    const host = await createHost(replica);
    const task = await startDeploy(replica, host.id, encodeGlobalID('Image', copy!.id));
    const target = path.join(replica.work, 'target.img');
    blankFile(target, 6 * 1024 * 1024);
    const run = await runClient(['--server', replica.base, '--disk', target, '--mac', host.mac]).done;
    expect(run.code, run.stderr).toBe(0);
    expect((await taskState(replica, rawId(task.id)))?.state).toBe('COMPLETE');
    expect(fs.readFileSync(target).equals(fs.readFileSync(path.join(source.work, 'source.img')))).toBe(true);

    const capture = await replica.gql<{ startCapture: { __typename: string; source?: string } }>(
      `mutation($i: StartCaptureInput!) { startCapture(input: $i) { __typename ... on ImageIsReplicaError { source } } }`,
      {
        token: replica.operator,
        variables: { i: { hostId: host.id, imageId: encodeGlobalID('Image', copy!.id) } },
      },
    );
    expect(capture.data?.startCapture).toEqual({ __typename: 'ImageIsReplicaError', source: SOURCE_NAME });
  });
});

describe('images deleted at the source', () => {
  it('go from the replica at the next pass, unless it captured that name itself, protects it, or uses it', async () => {
    // Given: a source with four replicated images on the replica, one of them protected there,
    // one in use there by a queued deploy, and a replica image of its own sharing a name.
    const { app: src, image: gone } = await startAppWithImage(1, { BRUME_NODE_NAME: 'school-del' });
    try {
      const seeded = async (seed: number) => {
        const made = await createImage(src);
        const disk = path.join(src.work, `disk-${seed}.img`);
        randomDisk(disk, 1, seed);
        await seedImage(src, made.id, made.name, disk);
        return made;
      };
      const kept = await seeded(2);
      const busy = await seeded(3);
      const theirs = await createImage(replica);
      const mine = await createImage(src, theirs.name);
      const admin = (await src.t.createUser('ADMIN')).token;
      const created = await adminGql<{ createStorageNode: { storageNode: { id: string } } }>(
        src,
        admin,
        'mutation($i: CreateStorageNodeInput!) { createStorageNode(input: $i) { ... on CreateStorageNodeSuccess { storageNode { id } } } }',
        { i: { name: 'site-del', url: replica.base, role: 'REPLICA', replicationToken: replicaToken } },
      );
      const nodeId = rawId(created.createStorageNode.storageNode.id);
      await src.t.app.services.replication.runPass(nodeId);
      for (const img of [gone, kept, busy])
        expect((await replicaImage(img.name))?.replicaOf).toBe('school-del');
      await replica.t.app.services.images.setImageProtected((await replicaImage(kept.name))!.id, true);
      const host = await createHost(replica);
      const deploy = await startDeploy(
        replica,
        host.id,
        encodeGlobalID('Image', (await replicaImage(busy.name))!.id),
      );

      // When: the source deletes all four, and a pass runs.
      // (The deletion and its record commit together: the rows are there as each call returns,
      // and a refused deletion records nothing.)
      const recorded = () => src.t.db.db.select().from(replicaDeletions);
      await src.t.app.services.images.setImageProtected(rawId(kept.id), true);
      await expect(src.t.app.services.images.deleteImage(rawId(kept.id))).rejects.toThrow(/protected/i);
      expect(await recorded()).toEqual([]);
      await src.t.app.services.images.setImageProtected(rawId(kept.id), false);
      for (const img of [gone, kept, busy, mine]) await src.t.app.services.images.deleteImage(rawId(img.id));
      expect((await recorded()).map((r) => r.imageName).sort()).toEqual(
        [gone, kept, busy, mine].map((i) => i.name).sort(),
      );
      await src.t.app.services.replication.runPass(nodeId);

      // Then: the plain copy is gone; the protected one, the one in use and the replica's own stay.
      expect(await replicaImage(gone.name)).toBeUndefined();
      expect(await replicaImage(kept.name)).toBeDefined();
      expect(await replicaImage(busy.name)).toBeDefined();
      expect((await replicaImage(theirs.name))?.replicaOf).toBeNull();
      const done = (name: string) =>
        recorded().then((rows) => rows.find((r) => r.imageName === name)!.nodesDone.includes(nodeId));
      expect([await done(gone.name), await done(kept.name), await done(mine.name)]).toEqual([
        true,
        true,
        true,
      ]);
      expect(await done(busy.name)).toBe(false);
      const audit = await replica.t.app.services.audit.list(
        { action: 'replication.delete' },
        { offset: 0, limit: 10 },
      );
      expect(audit.map((e) => e.outcome)).toEqual(['OK']);

      // And: once the deploy is cancelled, the next pass deletes the image it held.
      await cancelTask(replica, deploy.id);
      await src.t.app.services.replication.runPass(nodeId);
      expect(await replicaImage(busy.name)).toBeUndefined();
      expect(await done(busy.name)).toBe(true);
    } finally {
      await src.close();
    }
  });
});

describe("the console's view", () => {
  it('an admin sees each replicating node summed up; an operator sees nothing', async () => {
    const admin = createApiClient({ server: source.base, token: sourceAdmin });
    const operator = createApiClient({ server: source.base, token: source.operator });
    try {
      const nodes = await createGraphqlConsolePort(admin.client).loadReplication();
      expect(nodes).toEqual([{ name: 'site-b', done: 1, failed: 0, replicating: 0, lastError: null }]);
      expect(await createGraphqlConsolePort(operator.client).loadReplication()).toBeNull();
    } finally {
      admin.close();
      operator.close();
    }
  });
});

describe('what replication refuses, and says', () => {
  it('a chunk rotten in the source store is named and not sent; the node gets no version of it', async () => {
    const rotten = await createImage(source);
    const disk = path.join(source.work, 'rotten.img');
    randomDisk(disk, 2, 7);
    const manifest = await seedImage(source, rotten.id, rotten.name, disk);
    const hash = manifest.blocks[0]!.hash;
    const file = path.join(source.imagesDir, 'chunks', hash.slice(0, 2), hash.slice(2, 4), `${hash}.zst`);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 8]! ^= 0x01;
    fs.writeFileSync(file, bytes);

    const node = await addNode('site-c', replica.base, replicaToken);
    const rows = await replicate(node);
    const failed = rows.find((r) => r.state === 'FAILED');
    expect(failed?.error).toContain(hash);
    expect(failed?.error).toContain("in this server's store");
    // The other image still went: a bad version does not hold the node's others back.
    expect(rows.filter((r) => r.state === 'DONE')).toHaveLength(1);
    expect(await replicaImage(rotten.name)).toBeUndefined();
    expect(
      fs.existsSync(
        path.join(replica.imagesDir, 'chunks', hash.slice(0, 2), hash.slice(2, 4), `${hash}.zst`),
      ),
    ).toBe(false);
    await source.t.app.services.images.deleteImage(rawId(rotten.id));
  });

  it('a wrong or too weak token fails the node with the reason and nothing lands', async () => {
    const weak = await addNode('site-weak', replica.base, await apiToken(replica, 'VIEWER'));
    const [row] = await replicate(weak);
    expect(row).toMatchObject({ state: 'FAILED' });
    expect(row!.error).toContain('NOT_ALLOWED');

    const wrong = await addNode('site-wrong', replica.base, 'brt_not-a-real-token-at-all');
    const [refused] = await replicate(wrong);
    expect(refused!.error).toContain('TOKEN_INVALID');
    const audit = await replica.t.app.services.audit.list(
      { action: 'replication.missing' },
      { offset: 0, limit: 10 },
    );
    expect(audit.map((e) => e.outcome)).toEqual(expect.arrayContaining(['NOT_ALLOWED', 'TOKEN_INVALID']));
  });

  it('an unreachable node is named in the reason, and a REPLICATION_FAILED webhook says so', async () => {
    const hook = webhookReceiver();
    const hookUrl = await hook.start();
    await adminGql(
      source,
      sourceAdmin,
      'mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { __typename } }',
      { i: { name: 'ops', url: `${hookUrl}/`, events: ['REPLICATION_FAILED'] } },
    );
    // A port that was free a moment ago: nothing listens there.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const gone = await addNode('site-gone', `http://127.0.0.1:${port}`, replicaToken);
    const [row] = await replicate(gone);
    expect(row).toMatchObject({ state: 'FAILED' });
    expect(row!.error).toMatch(/site-gone .*unreachable: ECONNREFUSED/);
    await until(() => hook.received.length > 0, 10_000, 'the webhook');
    // Still down at the next pass: recorded again, not told again.
    const [again] = await replicate(gone);
    expect(again).toMatchObject({ state: 'FAILED', attempts: 2 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hook.received).toHaveLength(1);
    await hook.close();
    expect(hook.documents()[0]).toMatchObject({
      event: 'REPLICATION_FAILED',
      data: { node: { id: gone, name: 'site-gone' }, image: { name: image.name }, error: row!.error },
    });
  });

  it('after a failed pass the next one comes after the retry delay, not the hour-long period', async () => {
    const { app: hourly, image: theirs } = await startAppWithImage(1, {
      BRUME_NODE_NAME: 'school-retry',
      BRUME_REPLICATION_INTERVAL_SECONDS: '3600',
      BRUME_REPLICATION_RETRY_SECONDS: '1',
    });
    try {
      const admin = (await hourly.t.createUser('ADMIN')).token;
      const created = await adminGql<{ createStorageNode: { storageNode: { id: string } } }>(
        hourly,
        admin,
        'mutation($i: CreateStorageNodeInput!) { createStorageNode(input: $i) { ... on CreateStorageNodeSuccess { storageNode { id } } } }',
        { i: { name: 'site-retry', url: replica.base, role: 'REPLICA', replicationToken: 'brt_wrong' } },
      );
      const nodeId = created.createStorageNode.storageNode.id;
      await hourly.t.app.services.replication.runPass(rawId(nodeId));
      const [failed] = await hourly.t.app.services.replication.listReplicas(rawId(nodeId), {
        offset: 0,
        limit: 5,
      });
      expect(failed).toMatchObject({ state: 'FAILED', attempts: 1 });
      // When: the operator fixes the token, and nobody asks for a pass.
      await adminGql(
        hourly,
        admin,
        'mutation($i: UpdateStorageNodeInput!) { updateStorageNode(input: $i) { __typename } }',
        { i: { id: nodeId, replicationToken: replicaToken } },
      );
      // Then: a retry (1 s, then 2 s, 4 s...) delivers it long before the hour, or the first
      // timed pass of a new server (30 s).
      const newest = async () =>
        (await hourly.t.app.services.replication.listReplicas(rawId(nodeId), { offset: 0, limit: 5 }))[0];
      await until(async () => (await newest())?.state === 'DONE', 20_000, 'the retried pass');
      expect(await replicaImage(theirs.name)).toBeDefined();
      const done = await newest();
      expect(done!.attempts).toBeGreaterThanOrEqual(2);
    } finally {
      await hourly.close();
    }
  });

  it('an image the replica captured itself is never overwritten by a source of the same name', async () => {
    const other = await startTransferApp();
    try {
      const local = await createImage(other);
      const { app: second, image: theirs } = await startAppWithImage(1, { BRUME_NODE_NAME: 'school-two' });
      try {
        await second.t.app.services.images.updateImage({ id: rawId(theirs.id), name: local.name });
        const admin = (await second.t.createUser('ADMIN')).token;
        const d = await adminGql<{ createStorageNode: { storageNode: { id: string } } }>(
          second,
          admin,
          'mutation($i: CreateStorageNodeInput!) { createStorageNode(input: $i) { ... on CreateStorageNodeSuccess { storageNode { id } } } }',
          {
            i: {
              name: 'other',
              url: other.base,
              role: 'REPLICA',
              replicationToken: await apiToken(other, 'ADMIN'),
            },
          },
        );
        const nodeId = rawId(d.createStorageNode.storageNode.id);
        await second.t.app.services.replication.runPass(nodeId);
        const [row] = await second.t.app.services.replication.listReplicas(nodeId, { offset: 0, limit: 5 });
        expect(row).toMatchObject({ state: 'FAILED' });
        expect(row!.error).toContain('IMAGE_NOT_REPLICA');
        expect(await other.t.app.services.images.listVersions(rawId(local.id))).toHaveLength(0);
      } finally {
        await second.close();
      }
    } finally {
      await other.close();
    }
  });

  it('the replica stores no chunk that does not match its name, and publishes no version with chunks missing', async () => {
    const headers = { 'brume-source': SOURCE_NAME };
    const { encodeChunk } = await import('../../../server/src/imaging/index.ts');
    const good = encodeChunk(Buffer.alloc(4096, 7));
    const liar = encodeChunk(Buffer.alloc(4096, 8));
    const put = await call(replica, 'PUT', `/v1/replication/chunks/${good.hash}`, {
      token: replicaToken,
      headers,
      body: Buffer.from(liar.compressed),
    });
    expect(put.status).toBe(422);
    expect(put.body.code).toBe('HASH_MISMATCH');
    expect(await openLocalStore(replica.imagesDir).chunks.has(good.hash)).toBe(false);

    const current = await source.t.app.services.images.getCurrentVersion(rawId(image.id));
    const version = await source.t.app.services.images.getVersion(current!.id);
    const manifest: Record<string, unknown> = { ...(version!.manifest as Record<string, unknown>) };
    const blocks = manifest.blocks as { hash: string }[];
    manifest.blocks = [{ ...blocks[0]!, hash: good.hash }, ...blocks.slice(1)];
    const push = await call(replica, 'PUT', '/v1/replication/versions/9b0c33c4-4a1b-4d5e-8f00-1234567890ab', {
      token: replicaToken,
      headers,
      json: {
        image: {
          name: 'never-landed',
          description: '',
          osType: 'WINDOWS_10',
          imageType: 'MULTIPLE_PARTITION_SINGLE_DISK',
          keepVersions: null,
        },
        number: 1,
        current: true,
        manifest,
      },
    });
    expect([push.status, push.body.code]).toEqual([409, 'MISSING_BLOCKS']);
    expect(push.body.missing).toEqual([good.hash]);
    expect(await replicaImage('never-landed')).toBeUndefined();

    const anonymous = await call(replica, 'POST', '/v1/replication/missing', {
      headers,
      json: { hashes: [] },
    });
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'TOKEN_MISSING']);
  });

  it('replicateImages refuses a node with nothing to replicate to, typed', async () => {
    const bare = await addNode('site-bare', replica.base, null);
    const d = await adminGql<{ replicateImages: { __typename: string; message: string } }>(
      source,
      sourceAdmin,
      'mutation($i: ReplicateImagesInput!) { replicateImages(input: $i) { __typename ... on Error { message } } }',
      { i: { storageNodeId: bare } },
    );
    expect(d.replicateImages.__typename).toBe('ReplicationNotConfiguredError');
    expect(d.replicateImages.message).toContain('no replication token');
  });
});
