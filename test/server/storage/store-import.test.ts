/**
 * Importing the image store: versions captured with `brume image capture --store` into the
 * server's store (a real process, as an admin would) become images and versions the server deploys;
 * what cannot be imported (a chunk gone, a damaged manifest, a replica's image, a name not in the
 * store) is reported with its reason and registers nothing; a second import imports nothing.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletedImageVersions } from '../../../server/src/images/images-table.ts';
import { type Manifest, openLocalStore } from '../../../server/src/imaging/index.ts';
import {
  blankFile,
  blockHashes,
  createHost,
  createImage,
  REPO,
  randomDisk,
  rawId,
  runClient,
  seedImage,
  startCapture,
  startDeploy,
  startTransferApp,
  type TransferApp,
  taskState,
} from '../transfer/transfer-harness.ts';

const run = promisify(execFile);
let a: TransferApp;
let admin: string;
beforeAll(async () => {
  a = await startTransferApp();
  admin = (await a.t.createUser('ADMIN')).token;
});
afterAll(() => a?.close());

const IMPORT = `mutation($input: ImportStoreImagesInput!) { importStoreImages(input: $input) { __typename
  ... on ImportStoreImagesSuccess { dryRun alreadyRegistered
    imported { imageName storeVersion blockCount storedBytes createdImage image { id name osType imageType } version { id number current } }
    skipped { imageName storeVersion reason detail missingChunks } }
  ... on StoreBusyError { activeCaptures message }
  ... on InputValidationError { issues { path message } } } }`;

interface ImportResult {
  __typename: string;
  dryRun?: boolean;
  alreadyRegistered?: number;
  imported?: {
    imageName: string;
    storeVersion: number;
    blockCount: number;
    storedBytes: number;
    createdImage: boolean;
    image: { id: string; name: string; osType: string; imageType: string } | null;
    version: { id: string; number: number; current: boolean } | null;
  }[];
  skipped?: {
    imageName: string;
    storeVersion: number | null;
    reason: string;
    detail: string;
    missingChunks: number;
  }[];
  activeCaptures?: number;
}

async function importStore(input: Record<string, unknown>, token = admin) {
  return a.gql<{ importStoreImages: ImportResult }>(IMPORT, { token, variables: { input } });
}

const VERSIONS = `query($id: ID!) { image(id: $id) { name currentVersion { number } versions { id number current } } }`;
const snapshot = () => a.t.db.snapshot({ exclude: ['audit_entries', 'api_tokens', 'users'] });

let seq = 0;
/** A fresh pseudo-random disk of `mib` MiB captured into the server's store as `name` by the CLI. */
async function captureLocally(name: string, mib: number, seed: number): Promise<Manifest> {
  const disk = path.join(a.work, `local-${++seq}.img`);
  randomDisk(disk, mib, seed);
  const bin = path.join(REPO, 'tui/bin/brume.js');
  await run('node', [
    bin,
    'image',
    'capture',
    '--disk',
    disk,
    '--store',
    a.imagesDir,
    '--name',
    name,
    '--json',
  ]);
  fs.rmSync(disk);
  const store = openLocalStore(a.imagesDir);
  return store.manifests.read(name);
}

function chunkPath(hash: string): string {
  return path.join(a.imagesDir, 'chunks', hash.slice(0, 2), hash.slice(2, 4), `${hash}.zst`);
}

describe('importStoreImages', () => {
  it('Given two versions captured locally into the store, when an ADMIN imports (a dry run first), then the image and both versions are registered once and a client deploys the current one', async () => {
    // Given: two local captures under one name (store versions 1 and 2)
    const name = `local-${Date.now()}`;
    await captureLocally(name, 4, 31);
    const second = await captureLocally(name, 4, 32);

    // When: a dry run
    const before = await snapshot();
    const dry = (await importStore({ names: [name], dryRun: true })).data?.importStoreImages;

    // Then: both reported, nothing registered
    expect(dry).toMatchObject({ __typename: 'ImportStoreImagesSuccess', dryRun: true, skipped: [] });
    expect(dry?.imported?.map((v) => [v.storeVersion, v.createdImage, v.image, v.version])).toEqual([
      [1, true, null, null],
      [2, true, null, null],
    ]);
    expect(await snapshot()).toEqual(before);

    // When: the import, asked for every image of the store, with an OS for the images it creates
    const res = await importStore({ osType: 'WINDOWS_11' });
    const done = res.data?.importStoreImages;

    // Then: one image made, both versions in the store's order, the store's current one current
    expect(res.errors).toBeUndefined();
    expect(done?.dryRun).toBe(false);
    const mine = done?.imported?.filter((v) => v.imageName === name) ?? [];
    expect(mine.map((v) => [v.storeVersion, v.createdImage, v.version?.number, v.version?.current])).toEqual([
      [1, true, 1, false],
      [2, true, 2, true],
    ]);
    expect(mine[1]).toMatchObject({
      blockCount: second.blocks.length,
      storedBytes: second.totals.storedBytes,
      image: { name, osType: 'WINDOWS_11', imageType: 'MULTIPLE_PARTITION_SINGLE_DISK' },
    });
    const imageId = mine[0]?.image?.id as string;
    const versions = await a.gql<{ image: { currentVersion: { number: number } } }>(VERSIONS, {
      token: a.operator,
      variables: { id: imageId },
    });
    expect(versions.data?.image.currentVersion.number).toBe(2);

    // And: a second import registers nothing and says why
    const again = (await importStore({ names: [name] })).data?.importStoreImages;
    expect(again).toMatchObject({ imported: [], skipped: [], alreadyRegistered: 2 });

    // And: a client deploys the imported image; the target holds the second capture's blocks
    const target = await createHost(a);
    const deploy = await startDeploy(a, target.id, imageId);
    const disk = path.join(a.work, 'imported-target.img');
    blankFile(disk, 8 << 20);
    const deployed = await runClient([
      '--server',
      a.base,
      '--disk',
      disk,
      '--mac',
      target.mac,
      '--state-dir',
      path.join(a.work, 'import-state'),
    ]).done;
    expect(deployed.code).toBe(0);
    expect((await taskState(a, deploy.rawId))?.state).toBe('COMPLETE');
    expect(blockHashes(disk, second)).toEqual(second.blocks.map((b) => b.hash));
  }, 60_000);

  it('Given a store version missing a chunk, a damaged manifest, a replica image of the same name and a name not in the store, then each is skipped with its reason and nothing is registered', async () => {
    // Given: a version whose chunk file went
    const stamp = Date.now();
    const gone = await captureLocally(`gone-${stamp}`, 3, 41);
    fs.rmSync(chunkPath(gone.blocks[1]!.hash));
    // a version whose manifest file is damaged
    const damaged = `damaged-${stamp}`;
    await captureLocally(damaged, 2, 42);
    fs.writeFileSync(path.join(a.imagesDir, 'images', damaged, 'versions', '1', 'manifest.json'), '{"not":');
    // a replica of another server's image, and a local capture under its name
    const replica = `replica-${stamp}`;
    const local = await captureLocally(replica, 2, 43);
    await a.t.app.services.images.adoptReplicaVersion({
      source: 'site-a',
      image: { name: replica, description: '', osType: 'LINUX', imageType: 'RAW', keepVersions: null },
      versionId: '6a1b2c3d-0000-4000-8000-00000000a001',
      number: 1,
      current: true,
      sizeBytes: 1,
      storedBytes: 1,
      blockCount: 0,
      manifestHash: 'f'.repeat(64),
      manifest: { ...local, blocks: [] },
    });
    const before = await snapshot();

    // When: imported by name, in a dry run and for real
    const names = [`gone-${stamp}`, damaged, replica, `absent-${stamp}`];
    for (const dryRun of [true, false]) {
      const res = (await importStore({ names, dryRun })).data?.importStoreImages;

      // Then: every one skipped, with its reason
      expect(res?.imported).toEqual([]);
      expect(res?.skipped?.map((s) => [s.imageName, s.storeVersion, s.reason, s.missingChunks])).toEqual([
        [`gone-${stamp}`, 1, 'MISSING_CHUNKS', 1],
        [damaged, 1, 'INVALID_MANIFEST', 0],
        [replica, 1, 'IMAGE_IS_REPLICA', 0],
        [`absent-${stamp}`, null, 'NOT_IN_STORE', 0],
      ]);
      expect(res?.skipped?.[2]?.detail).toContain('site-a');
      expect(await snapshot()).toEqual(before);
    }

    // And: with the chunk back, that version imports
    const store = openLocalStore(a.imagesDir);
    const lost = gone.blocks[1]!;
    const source = path.join(a.work, 'gone-again.img');
    randomDisk(source, 3, 41);
    const bytes = Buffer.alloc(lost.length);
    const fd = fs.openSync(source, 'r');
    fs.readSync(fd, bytes, 0, lost.length, lost.offset);
    fs.closeSync(fd);
    await store.chunks.put(bytes);
    await store.chunks.flush();
    const back = (await importStore({ names: [`gone-${stamp}`] })).data?.importStoreImages;
    expect(back?.imported?.map((v) => [v.imageName, v.version?.number, v.version?.current])).toEqual([
      [`gone-${stamp}`, 1, true],
    ]);

    // And: a collection refuses to guess what the damaged manifest needs, and names its file;
    // once the file is gone it runs
    const GC = `mutation { collectStoreGarbage(input: {}) { __typename
      ... on StoreManifestUnreadableError { imageName storeVersion message } } }`;
    const refused = await a.gql<{ collectStoreGarbage: Record<string, unknown> }>(GC, { token: admin });
    expect(refused.data?.collectStoreGarbage).toMatchObject({
      __typename: 'StoreManifestUnreadableError',
      imageName: damaged,
      storeVersion: 1,
    });
    expect(refused.data?.collectStoreGarbage.message).toContain(`images/${damaged}/versions/1`);
    fs.rmSync(path.join(a.imagesDir, 'images', damaged), { recursive: true });
    const ran = await a.gql<{ collectStoreGarbage: Record<string, unknown> }>(GC, { token: admin });
    expect(ran.data?.collectStoreGarbage.__typename).toBe('CollectStoreGarbageSuccess');
  }, 60_000);

  it('Given an image of that name with a current version, then the store versions it lacks are added and its current version stays', async () => {
    // Given: an image captured through the server (its manifest file is in the store too)
    const image = await createImage(a);
    const disk = path.join(a.work, 'served.img');
    randomDisk(disk, 2, 51);
    await seedImage(a, image.id, image.name, disk);
    // and a local capture under its name
    await captureLocally(image.name, 2, 52);

    // When
    const res = (await importStore({ names: [image.name] })).data?.importStoreImages;

    // Then: only the local one added, as version 2, not current
    expect(res).toMatchObject({ alreadyRegistered: 1, skipped: [] });
    expect(
      res?.imported?.map((v) => [v.storeVersion, v.createdImage, v.version?.number, v.version?.current]),
    ).toEqual([[2, false, 2, false]]);
    const versions = await a.gql<{ image: { versions: { number: number; current: boolean }[] } }>(VERSIONS, {
      token: a.operator,
      variables: { id: image.id },
    });
    expect(versions.data?.image.versions.map(({ number, current }) => ({ number, current }))).toEqual([
      { number: 2, current: false },
      { number: 1, current: true },
    ]);
    // and the store's own pointer, which the local capture had moved, is back on it
    expect(await openLocalStore(a.imagesDir).manifests.currentVersion(image.name)).toBe(1);
  }, 60_000);

  it('Given a version deleted here whose manifest file is still in the store (the server stopped before removing it), when an ADMIN imports, then it is skipped as DELETED_VERSION and nothing changes; after the next collection nothing is left to skip', async () => {
    // Given: an image of two versions, the older deleted, and its manifest file put back with
    // the record saying it is still there: the state a stop between the two steps leaves
    const image = await createImage(a);
    const disk = path.join(a.work, 'deleted.img');
    randomDisk(disk, 2, 61);
    await seedImage(a, image.id, image.name, disk);
    randomDisk(disk, 2, 62);
    await seedImage(a, image.id, image.name, disk);
    const versions = await a.gql<{ image: { versions: { id: string; number: number }[] } }>(VERSIONS, {
      token: a.operator,
      variables: { id: image.id },
    });
    const older = versions.data?.image.versions.find((v) => v.number === 1);
    const versionDir = path.join(a.imagesDir, 'images', image.name, 'versions', '1');
    const saved = path.join(a.work, `saved-${image.name}`);
    fs.cpSync(versionDir, saved, { recursive: true });
    const DELETE_VERSION = `mutation($id: ID!) { deleteImageVersion(input: { versionId: $id }) { __typename } }`;
    const deleted = await a.gql<{ deleteImageVersion: { __typename: string } }>(DELETE_VERSION, {
      token: a.operator,
      variables: { id: older?.id },
    });
    expect(deleted.data?.deleteImageVersion.__typename).toBe('DeleteImageVersionSuccess');
    fs.cpSync(saved, versionDir, { recursive: true });
    await a.t.db.db
      .update(deletedImageVersions)
      .set({ manifestFileGone: false })
      .where(eq(deletedImageVersions.imageName, image.name));

    // When
    const before = await snapshot();
    const res = (await importStore({ names: [image.name] })).data?.importStoreImages;

    // Then: skipped with its reason, the current version counted, nothing written
    expect(res).toMatchObject({ imported: [], alreadyRegistered: 1 });
    expect(res?.skipped?.map((v) => [v.storeVersion, v.reason])).toEqual([[1, 'DELETED_VERSION']]);
    expect(res?.skipped?.[0]?.detail).toMatch(/^deleted here at \d{4}-/);
    expect(await snapshot()).toEqual(before);

    // And: a collection removes the leftover; the next import has nothing to skip
    const GC = `mutation { collectStoreGarbage(input: {}) { __typename } }`;
    const gc = await a.gql<{ collectStoreGarbage: { __typename: string } }>(GC, { token: admin });
    expect(gc.data?.collectStoreGarbage.__typename).toBe('CollectStoreGarbageSuccess');
    expect(fs.existsSync(versionDir)).toBe(false);
    const again = (await importStore({ names: [image.name] })).data?.importStoreImages;
    expect(again).toMatchObject({ imported: [], skipped: [], alreadyRegistered: 1 });
  }, 60_000);

  it('Given a capture at work, bad names or a non-admin, then the import is refused and registers nothing', async () => {
    const name = `busy-${Date.now()}`;
    await captureLocally(name, 1, 61);
    const host = await createHost(a);
    const image = await createImage(a);
    const task = await startCapture(a, host.id, image.id);
    await a.t.app.services.tasks.transition(task.rawId, 'CHECKED_IN');
    const before = await snapshot();

    const busy = await importStore({ names: [name] });
    expect(busy.data?.importStoreImages).toMatchObject({ __typename: 'StoreBusyError', activeCaptures: 1 });
    const bad = await importStore({ names: ['../etc'] });
    expect(bad.data?.importStoreImages.__typename).toBe('InputValidationError');
    const operator = await importStore({ names: [name] }, a.operator);
    expect(operator.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await snapshot()).toEqual(before);

    // Once the capture has ended, the import goes through
    await a.t.app.services.tasks.transition(task.rawId, 'CANCELLED');
    const res = (await importStore({ names: [name] })).data?.importStoreImages;
    expect(res?.imported?.map((v) => [v.imageName, v.createdImage])).toEqual([[name, true]]);
    expect(rawId(res?.imported?.[0]?.image?.id as string)).toMatch(/^[0-9a-f-]{36}$/);
  }, 60_000);

  it('Given the store of a server whose database is gone, when a new server on a fresh database imports it, then every image comes back with its versions and its current one', async () => {
    // Given: a server with two images captured through it (one of them with two versions), and
    // its store directory copied elsewhere once it stopped
    const old = await startTransferApp();
    const moved = path.join(a.work, `moved-store-${Date.now()}`);
    let first: { id: string; name: string };
    let second: { id: string; name: string };
    try {
      first = await createImage(old);
      second = await createImage(old);
      for (const [image, seed] of [
        [first, 71],
        [first, 72],
        [second, 73],
      ] as const) {
        const disk = path.join(old.work, `old-${seed}.img`);
        randomDisk(disk, 2, seed);
        await seedImage(old, image.id, image.name, disk);
      }
      // the first image's first version made current again: the store's pointer says so too
      const versions = await old.gql<{ image: { versions: { id: string; number: number }[] } }>(VERSIONS, {
        token: old.operator,
        variables: { id: first.id },
      });
      const v1 = versions.data!.image.versions.find((v) => v.number === 1)!;
      const made = await old.gql<{ setCurrentImageVersion: { __typename: string } }>(
        'mutation($id: ID!) { setCurrentImageVersion(input: { versionId: $id }) { __typename } }',
        { token: old.operator, variables: { id: v1.id } },
      );
      expect(made.data?.setCurrentImageVersion.__typename).toBe('SetCurrentImageVersionSuccess');
    } finally {
      await old.t.app.services.storage.gc.whenIdle();
      fs.cpSync(old.imagesDir, moved, { recursive: true });
      await old.close();
    }

    // When: a new server, fresh database, on that store
    const fresh = await startTransferApp({ BRUME_IMAGES_DIR: moved });
    try {
      const freshAdmin = (await fresh.t.createUser('ADMIN')).token;
      const res = await fresh.gql<{ importStoreImages: ImportResult }>(IMPORT, {
        token: freshAdmin,
        variables: { input: {} },
      });

      // Then: both images, their versions in order, all created here
      const done = res.data?.importStoreImages;
      expect(done?.skipped).toEqual([]);
      const byImage = (name: string) =>
        done?.imported
          ?.filter((v) => v.imageName === name)
          .map((v) => [v.storeVersion, v.createdImage, v.version?.number]);
      expect(byImage(first.name)).toEqual([
        [1, true, 1],
        [2, true, 2],
      ]);
      expect(byImage(second.name)).toEqual([[1, true, 1]]);
      const current = done?.imported
        ?.filter((v) => v.version?.current)
        .map((v) => [v.imageName, v.storeVersion]);
      expect(current).toEqual([
        [first.name, 1],
        [second.name, 1],
      ]);
    } finally {
      await fresh.close();
    }
  }, 90_000);
});
