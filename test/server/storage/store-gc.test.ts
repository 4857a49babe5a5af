/**
 * Getting the store's space back: deleting an image or a version, then a garbage collection,
 * removes exactly the chunk files no remaining version references, and the manifest files of what
 * was deleted; shared chunks, recent chunks and everything of the remaining versions stay.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletedImageVersions } from '../../../server/src/images/images-table.ts';
import type { Manifest } from '../../../server/src/imaging/index.ts';
import { createStoreGc } from '../../../server/src/storage/store-gc.ts';
import {
  createHost,
  createImage,
  randomDisk,
  rawId,
  runClient,
  seedImage,
  startCapture,
  startDeploy,
  startTransferApp,
  type TransferApp,
  taskState,
  until,
} from '../transfer/transfer-harness.ts';

const run = promisify(execFile);
let a: TransferApp;
let admin: string;
beforeAll(async () => {
  a = await startTransferApp();
  admin = (await a.t.createUser('ADMIN')).token;
});
afterAll(() => a?.close());

const GC = `mutation($dry: Boolean) { collectStoreGarbage(input: { dryRun: $dry }) {
  __typename ... on CollectStoreGarbageSuccess { dryRun referencedChunks keptChunks keptRecentChunks removedChunks removedBytes missingChunks }
  ... on StoreBusyError { activeCaptures message } } }`;
interface GcResult {
  __typename: string;
  dryRun?: boolean;
  referencedChunks?: number;
  keptChunks?: number;
  keptRecentChunks?: number;
  removedChunks?: number;
  removedBytes?: number;
  missingChunks?: number;
  activeCaptures?: number;
}

async function collect(dryRun = false, token = admin) {
  return a.gql<{ collectStoreGarbage: GcResult }>(GC, { token, variables: { dry: dryRun } });
}

/** Chunk files on disk: hash → bytes. */
function chunkFiles(): Map<string, number> {
  const files = fs
    .readdirSync(path.join(a.imagesDir, 'chunks'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.zst'));
  return new Map(
    files.map((e) => [e.name.slice(0, 64), fs.statSync(path.join(e.parentPath, e.name)).size] as const),
  );
}

/** Makes every chunk file look older than the 6 h grace period. */
function ageChunks(): void {
  const old = new Date(Date.now() - 7 * 3600_000);
  for (const e of fs.readdirSync(path.join(a.imagesDir, 'chunks'), { recursive: true, withFileTypes: true }))
    if (e.isFile()) fs.utimesSync(path.join(e.parentPath, e.name), old, old);
}

function hashesOf(...manifests: Manifest[]): Set<string> {
  return new Set(manifests.flatMap((m) => [...m.blocks, ...m.preserved].map((c) => c.hash)));
}

/** A version of `image` captured from a fresh pseudo-random disk of `mib` MiB (same seed: same bytes). */
async function captureVersion(
  image: { id: string; name: string },
  mib: number,
  seed: number,
): Promise<Manifest> {
  const disk = path.join(a.work, `gc-${seed}-${mib}.img`);
  randomDisk(disk, mib, seed);
  return seedImage(a, image.id, image.name, disk);
}

function manifestDirs(): string[] {
  const root = path.join(a.imagesDir, 'images');
  return fs.existsSync(root)
    ? fs
        .readdirSync(root, { recursive: true })
        .map(String)
        .filter((p) => p.endsWith('manifest.json'))
        .sort()
    : [];
}

const DELETE_IMAGE = `mutation($id: ID!) { deleteImage(input: { id: $id }) { __typename } }`;
const DELETE_VERSION = `mutation($id: ID!) { deleteImageVersion(input: { versionId: $id }) {
  __typename ... on DeleteImageVersionSuccess { deletedVersionNumber image { versions { number current } } }
  ... on Error { message } } }`;
const VERSIONS = `query($id: ID!) { image(id: $id) { versions { id number current } } }`;

async function deletionRecord(imageName: string) {
  return a.t.db.db
    .select({ number: deletedImageVersions.number, manifestFileGone: deletedImageVersions.manifestFileGone })
    .from(deletedImageVersions)
    .where(eq(deletedImageVersions.imageName, imageName));
}

describe('store garbage collection', () => {
  it('Given two images sharing chunks, when one is deleted and the store collected, then only its own chunks and manifests go', async () => {
    // Given: A from an 8 MiB disk, B from a 12 MiB disk that starts like it (shares 8 chunks)
    const imageA = await createImage(a);
    const imageB = await createImage(a);
    const mA = await captureVersion(imageA, 8, 7);
    const mB = await captureVersion(imageB, 12, 7);
    const onlyB = [...hashesOf(mB)].filter((h) => !hashesOf(mA).has(h));
    expect(onlyB.length).toBeGreaterThan(0);
    const before = chunkFiles();
    const manifestsBefore = manifestDirs();

    // When: B is deleted, and the chunks are young
    const del = await a.gql<{ deleteImage: { __typename: string } }>(DELETE_IMAGE, {
      token: a.operator,
      variables: { id: imageB.id },
    });
    expect(del.data?.deleteImage.__typename).toBe('DeleteImageSuccess');

    // Then: its manifest file went at once, no chunk did
    expect(manifestDirs()).toEqual(manifestsBefore.filter((p) => !p.startsWith(`${imageB.name}/`)));
    expect(await deletionRecord(imageB.name)).toEqual([{ number: 1, manifestFileGone: true }]);
    const young = await collect();
    expect(young.data?.collectStoreGarbage).toMatchObject({
      removedChunks: 0,
      keptRecentChunks: onlyB.length,
    });
    expect(chunkFiles()).toEqual(before);

    // When: the same chunks are past the grace period; first a dry run, then for real
    ageChunks();
    const dry = await collect(true);
    const bytes = onlyB.reduce((n, h) => n + (before.get(h) ?? 0), 0);
    expect(dry.data?.collectStoreGarbage).toMatchObject({
      dryRun: true,
      removedChunks: onlyB.length,
      removedBytes: bytes,
    });
    expect(chunkFiles()).toEqual(before);
    const real = await collect();

    // Then: exactly B's own chunks are gone; every chunk of A is still there
    expect(real.data?.collectStoreGarbage).toMatchObject({
      dryRun: false,
      removedChunks: onlyB.length,
      removedBytes: bytes,
      keptChunks: hashesOf(mA).size,
      missingChunks: 0,
    });
    const after = chunkFiles();
    expect([...after.keys()].sort()).toEqual([...before.keys()].filter((h) => !onlyB.includes(h)).sort());
    for (const h of hashesOf(mA)) expect(after.has(h)).toBe(true);

    // And: with A's manifest files lost from the store, the database still keeps A's chunks
    fs.rmSync(path.join(a.imagesDir, 'images', imageA.name), { recursive: true });
    const again = await collect();
    expect(again.data?.collectStoreGarbage).toMatchObject({
      removedChunks: 0,
      keptChunks: hashesOf(mA).size,
    });
    expect(chunkFiles()).toEqual(after);
  });

  it('Given an image with two versions, when the older one is deleted, then the current one cannot be, and the store keeps what the current one uses', async () => {
    // Given: two versions of one image from different disks
    const image = await createImage(a);
    const m1 = await captureVersion(image, 6, 21);
    const m2 = await captureVersion(image, 6, 22);
    const versions = (
      await a.gql<{ image: { versions: { id: string; number: number; current: boolean }[] } }>(VERSIONS, {
        token: a.operator,
        variables: { id: image.id },
      })
    ).data!.image.versions;
    const current = versions.find((v) => v.current)!;
    const older = versions.find((v) => !v.current)!;

    // When / Then: the current version is refused, with nothing changed
    const refused = await a.gql<{ deleteImageVersion: { __typename: string } }>(DELETE_VERSION, {
      token: a.operator,
      variables: { id: current.id },
    });
    expect(refused.data?.deleteImageVersion.__typename).toBe('ImageVersionCurrentError');
    // a VIEWER may not delete at all
    const viewer = await a.t.createUser('VIEWER');
    const forbidden = await a.gql(DELETE_VERSION, { token: viewer.token, variables: { id: older.id } });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // a deploy pinned to the older version keeps it
    const SET_CURRENT = `mutation($id: ID!) { setCurrentImageVersion(input: { versionId: $id }) { __typename } }`;
    await a.gql(SET_CURRENT, { token: a.operator, variables: { id: older.id } });
    const target = await createHost(a);
    const deploy = await startDeploy(a, target.id, image.id);
    await a.gql(SET_CURRENT, { token: a.operator, variables: { id: current.id } });
    const pinned = await a.gql<{ deleteImageVersion: { __typename: string } }>(DELETE_VERSION, {
      token: a.operator,
      variables: { id: older.id },
    });
    expect(pinned.data?.deleteImageVersion.__typename).toBe('ImageInUseError');
    await a.t.app.services.tasks.transition(deploy.rawId, 'CANCELLED');

    // When: the older version is deleted and the store collected
    const deleted = await a.gql<{ deleteImageVersion: { __typename: string; deletedVersionNumber: number } }>(
      DELETE_VERSION,
      { token: a.operator, variables: { id: older.id } },
    );
    expect(deleted.data?.deleteImageVersion).toMatchObject({
      __typename: 'DeleteImageVersionSuccess',
      deletedVersionNumber: older.number,
      image: { versions: [{ number: current.number, current: true }] },
    });
    ageChunks();
    const gc = await collect();
    expect(gc.data?.collectStoreGarbage.__typename).toBe('CollectStoreGarbageSuccess');

    // Then: v1's own chunks are gone, v2's are all there
    const files = chunkFiles();
    for (const h of hashesOf(m2)) expect(files.has(h)).toBe(true);
    for (const h of hashesOf(m1)) if (!hashesOf(m2).has(h)) expect(files.has(h)).toBe(false);
    expect(manifestDirs().filter((p) => p.startsWith(`${image.name}/`))).toHaveLength(1);
  });

  it('Given an image keeping 2 versions, when a third is captured, then the oldest goes with its manifest file; a pinned one waits; a lower limit applies at once', async () => {
    // Given: keepVersions 2 set through updateImage (0 and negatives refused or meaning "all")
    const image = await createImage(a);
    const UPDATE = `mutation($id: ID!, $keep: Int) { updateImage(input: { id: $id, keepVersions: $keep }) {
      __typename ... on UpdateImageSuccess { image { keepVersions } } ... on InputValidationError { message } } }`;
    const bad = await a.gql<{ updateImage: { __typename: string } }>(UPDATE, {
      token: a.operator,
      variables: { id: image.id, keep: -1 },
    });
    expect(bad.data?.updateImage.__typename).toBe('InputValidationError');
    const set = await a.gql<{ updateImage: { image: { keepVersions: number | null } } }>(UPDATE, {
      token: a.operator,
      variables: { id: image.id, keep: 2 },
    });
    expect(set.data?.updateImage.image.keepVersions).toBe(2);
    const numbers = async () =>
      (
        await a.gql<{ image: { versions: { id: string; number: number; current: boolean }[] } }>(VERSIONS, {
          token: a.operator,
          variables: { id: image.id },
        })
      ).data!.image.versions;

    // When: three captures
    await captureVersion(image, 3, 41);
    await captureVersion(image, 3, 42);
    expect((await numbers()).map((v) => v.number)).toEqual([2, 1]);
    await captureVersion(image, 3, 43);

    // Then: the oldest is gone, with its manifest file
    expect((await numbers()).map((v) => v.number)).toEqual([3, 2]);
    expect(manifestDirs().filter((p) => p.startsWith(`${image.name}/`))).toHaveLength(2);

    // Given: a deploy pinned to v2 (made current for it, then v3 again)
    const SET_CURRENT = `mutation($id: ID!) { setCurrentImageVersion(input: { versionId: $id }) { __typename } }`;
    const [v3, v2] = await numbers();
    await a.gql(SET_CURRENT, { token: a.operator, variables: { id: v2!.id } });
    const deploy = await startDeploy(a, (await createHost(a)).id, image.id);
    await a.gql(SET_CURRENT, { token: a.operator, variables: { id: v3!.id } });
    // When: a fourth capture
    await captureVersion(image, 3, 44);
    // Then: v2 stays while pinned, beyond the limit
    expect((await numbers()).map((v) => v.number)).toEqual([4, 3, 2]);
    await a.t.app.services.tasks.transition(deploy.rawId, 'CANCELLED');

    // When: the limit is lowered to 1: applied at once (the current version, v4, stays)
    await a.gql(UPDATE, { token: a.operator, variables: { id: image.id, keep: 1 } });
    expect((await numbers()).map((v) => `${v.number}${v.current ? '*' : ''}`)).toEqual(['4*']);
    expect(manifestDirs().filter((p) => p.startsWith(`${image.name}/`))).toHaveLength(1);
    // and every pruned version is in the record of deletions, its manifest file gone
    const record = await deletionRecord(image.name);
    expect(record.sort((x, y) => x.number - y.number)).toEqual(
      [1, 2, 3].map((number) => ({ number, manifestFileGone: true })),
    );

    // And: 0 keeps every version again
    const cleared = await a.gql<{ updateImage: { image: { keepVersions: number | null } } }>(UPDATE, {
      token: a.operator,
      variables: { id: image.id, keep: 0 },
    });
    expect(cleared.data?.updateImage.image.keepVersions).toBeNull();
  });

  it('Given a deletion, then a collection runs by itself after the delay, and again later when a capture kept it from running', async () => {
    const logs: { msg: string; removed?: number }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const gc = createStoreGc({ db: a.t.db.db, imagesDir: a.imagesDir, log, afterDeleteMs: 150 });
    try {
      const image = await createImage(a);
      const m = await captureVersion(image, 4, 31);
      // A capture at work: the scheduled collection is refused and tried again.
      const host = await createHost(a);
      const capture = await startCapture(a, host.id, (await createImage(a)).id);
      await a.t.app.services.tasks.transition(capture.rawId, 'CHECKED_IN');
      await a.t.app.services.images.deleteImage(rawId(image.id));
      ageChunks();
      await gc.versionsDeleted([]);
      await new Promise((r) => setTimeout(r, 500));
      expect(logs.filter((l) => l.msg === 'image store garbage collection')).toEqual([]);
      for (const h of hashesOf(m)) expect(chunkFiles().has(h)).toBe(true);
      // The capture ends: the next try collects.
      await a.t.app.services.tasks.transition(capture.rawId, 'FAILED', { reason: 'test' });
      // (the log line comes when the whole sweep is over, other tests' aged chunks included)
      const done = () => logs.find((l) => l.msg === 'image store garbage collection');
      await until(() => done() !== undefined, 5000, 'collection');
      expect(done()?.removed).toBeGreaterThanOrEqual(hashesOf(m).size);
      for (const h of hashesOf(m)) expect(chunkFiles().has(h)).toBe(false);
    } finally {
      gc.close();
    }
  });

  it('Given a version deleted soon after its capture, then the collection keeps its young chunks and another takes them once they are past the grace period', async () => {
    const logs: { msg: string; removed?: number; keptYoung?: number }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const gc = createStoreGc({
      db: a.t.db.db,
      imagesDir: a.imagesDir,
      log,
      afterDeleteMs: 50,
      graceMs: 2500,
    });
    try {
      // Whatever earlier tests left unreferenced is made old: only this test's chunks are young.
      ageChunks();
      await gc.collect();
      const image = await createImage(a);
      const m = await captureVersion(image, 3, 51);
      await a.t.app.services.images.deleteImage(rawId(image.id));
      logs.length = 0;
      await gc.versionsDeleted([]);
      const runs = () => logs.filter((l) => l.msg === 'image store garbage collection');
      await until(() => runs().length >= 1, 2000, 'first collection');
      expect(runs()[0]).toMatchObject({ removed: 0, keptYoung: hashesOf(m).size });
      for (const h of hashesOf(m)) expect(chunkFiles().has(h)).toBe(true);
      await until(() => runs().length >= 2, 8000, 'second collection');
      expect(runs()[1]).toMatchObject({ removed: hashesOf(m).size, keptYoung: 0 });
      for (const h of hashesOf(m)) expect(chunkFiles().has(h)).toBe(false);
    } finally {
      gc.close();
    }
  });

  it('Given a collection running, when a capture asks which chunks the store has, then it waits for the collection to end', async () => {
    // whenIdle resolves after the collection running when it was asked
    const order: string[] = [];
    const running = a.t.app.services.storage.gc.collect().then(() => order.push('collected'));
    await a.t.app.services.storage.gc.whenIdle().then(() => order.push('idle'));
    await running;
    expect(order).toEqual(['collected', 'idle']);

    // and a real capture's client is held at its first look-up while the store is not idle
    const gc = a.t.app.services.storage.gc;
    const whenIdle = gc.whenIdle;
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let asked = 0;
    gc.whenIdle = () => {
      asked++;
      return gate;
    };
    try {
      const host = await createHost(a);
      const image = await createImage(a);
      const disk = path.join(a.work, 'gc-gate.img');
      randomDisk(disk, 4, 61);
      const task = await startCapture(a, host.id, image.id);
      const client = runClient(['--server', a.base, '--disk', disk, '--mac', host.mac]);
      await until(() => asked > 0, 20_000, 'a look-up at the gate');
      await new Promise((r) => setTimeout(r, 500));
      expect((await taskState(a, task.rawId))?.state).toBe('IN_PROGRESS');
      expect(fs.existsSync(path.join(a.imagesDir, 'images', image.name))).toBe(false);
      open();
      const run = await client.done;
      expect(run.code).toBe(0);
      expect((await taskState(a, task.rawId))?.state).toBe('COMPLETE');
    } finally {
      gc.whenIdle = whenIdle;
      open();
    }
  }, 60_000);

  it('Given a deleted version whose manifest file can not be removed, then its chunks stay while the file does, and the next collection after the file can go removes it and them; the record of deletions says so', async () => {
    // Given: two versions from different disks; the older one's store directory made immutable,
    // so the removal of its manifest file fails as it would on a read-only or failing disk
    const image = await createImage(a);
    const m1 = await captureVersion(image, 4, 71);
    const m2 = await captureVersion(image, 4, 72);
    const onlyV1 = [...hashesOf(m1)].filter((h) => !hashesOf(m2).has(h));
    const versions = (
      await a.gql<{ image: { versions: { id: string; current: boolean }[] } }>(VERSIONS, {
        token: a.operator,
        variables: { id: image.id },
      })
    ).data!.image.versions;
    const older = versions.find((v) => !v.current)!;
    const versionDir = path.join(a.imagesDir, 'images', image.name, 'versions', '1');
    await run('chattr', ['+i', versionDir]);
    try {
      // When: the older version is deleted
      const deleted = await a.gql<{ deleteImageVersion: { __typename: string } }>(DELETE_VERSION, {
        token: a.operator,
        variables: { id: older.id },
      });

      // Then: the row is gone, its manifest file stayed, and the record says the file is still there
      expect(deleted.data?.deleteImageVersion.__typename).toBe('DeleteImageVersionSuccess');
      expect(manifestDirs().filter((p) => p.startsWith(`${image.name}/`))).toHaveLength(2);
      expect(await deletionRecord(image.name)).toEqual([{ number: 1, manifestFileGone: false }]);

      // And: a collection can not remove the file either, so it keeps the chunks the file names
      ageChunks();
      const kept = await collect();
      expect(kept.data?.collectStoreGarbage.__typename).toBe('CollectStoreGarbageSuccess');
      for (const h of onlyV1) expect(chunkFiles().has(h)).toBe(true);
      expect(await deletionRecord(image.name)).toEqual([{ number: 1, manifestFileGone: false }]);
    } finally {
      await run('chattr', ['-i', versionDir]);
    }

    // When: the directory can be written again, the next collection runs
    const gc = await collect();

    // Then: the leftover file went first, then the chunks only it named; v2 is whole
    expect(gc.data?.collectStoreGarbage).toMatchObject({ removedChunks: onlyV1.length, missingChunks: 0 });
    expect(manifestDirs().filter((p) => p.startsWith(`${image.name}/`))).toEqual([
      `${image.name}/versions/2/manifest.json`,
    ]);
    const files = chunkFiles();
    for (const h of onlyV1) expect(files.has(h)).toBe(false);
    for (const h of hashesOf(m2)) expect(files.has(h)).toBe(true);
    expect(await deletionRecord(image.name)).toEqual([{ number: 1, manifestFileGone: true }]);
  });

  it('Given a server stopped between a deletion and the removal of its manifest file, when a server starts, then a collection runs by itself and removes the leftover file and its chunks', async () => {
    const logs: { msg: string }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const runs = () => logs.filter((l) => l.msg === 'image store garbage collection');
    // Nothing left over: a start schedules nothing.
    const idle = createStoreGc({ db: a.t.db.db, imagesDir: a.imagesDir, log, afterDeleteMs: 50 });
    await idle.start();
    await new Promise((r) => setTimeout(r, 400));
    idle.close();
    expect(runs()).toEqual([]);

    // Given: the state such a stop leaves: the version's row gone and recorded, its file still there
    const image = await createImage(a);
    const m = await captureVersion(image, 3, 81);
    const imageDir = path.join(a.imagesDir, 'images', image.name);
    const saved = path.join(a.work, `saved-${image.name}`);
    fs.cpSync(imageDir, saved, { recursive: true });
    await a.t.app.services.images.deleteImage(rawId(image.id));
    fs.cpSync(saved, imageDir, { recursive: true });
    await a.t.db.db
      .update(deletedImageVersions)
      .set({ manifestFileGone: false })
      .where(eq(deletedImageVersions.imageName, image.name));
    ageChunks();

    // When: a server starts (its collector)
    const gc = createStoreGc({ db: a.t.db.db, imagesDir: a.imagesDir, log, afterDeleteMs: 50 });
    try {
      await gc.start();
      await until(() => runs().length > 0, 5000, 'a collection');

      // Then: the file and the chunks only it named are gone, and the record says so
      expect(fs.existsSync(imageDir)).toBe(false);
      for (const h of hashesOf(m)) expect(chunkFiles().has(h)).toBe(false);
      expect(await deletionRecord(image.name)).toEqual([{ number: 1, manifestFileGone: true }]);
    } finally {
      gc.close();
    }
  });

  it('Given a capture at work, then a collection is refused with StoreBusyError and removes nothing; an OPERATOR may not collect', async () => {
    const host = await createHost(a);
    const image = await createImage(a);
    const task = await startCapture(a, host.id, image.id);
    await a.t.app.services.tasks.transition(task.rawId, 'CHECKED_IN');
    const before = chunkFiles();
    const busy = await collect();
    expect(busy.data?.collectStoreGarbage).toMatchObject({ __typename: 'StoreBusyError', activeCaptures: 1 });
    expect(chunkFiles()).toEqual(before);
    const operator = await collect(false, a.operator);
    expect(operator.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
