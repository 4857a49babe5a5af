/**
 * Verifying an image version's chunks in the store: a check reads, decodes and hashes every chunk
 * in the background, passes a whole version, lists exactly the chunks removed or corrupted (and
 * changes nothing), runs one at a time with one waiting check per version, and is ABORTED when the
 * server stops under it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../server/src/config/config.ts';
import type { ImageVersionRow } from '../../../server/src/images/images-table.ts';
import type { Manifest } from '../../../server/src/imaging/index.ts';
import { imageVerifications } from '../../../server/src/storage/storage-table.ts';
import { createStoreVerify } from '../../../server/src/storage/store-verify.ts';
import { webhookReceiver } from '../../support/webhook-receiver.ts';
import {
  createImage,
  randomDisk,
  rawId,
  seedImage,
  startTransferApp,
  type TransferApp,
  until,
} from '../transfer/transfer-harness.ts';

let a: TransferApp;
beforeAll(async () => {
  a = await startTransferApp();
});
afterAll(() => a?.close());

const VERIFY = `mutation($id: ID!) { verifyImageVersion(input: { versionId: $id }) { __typename
  ... on VerifyImageVersionSuccess { alreadyActive verification { id state chunksTotal } }
  ... on Error { message } } }`;
const LAST = `query($id: ID!) { image(id: $id) { currentVersion { id lastVerification {
  id state chunksTotal chunksChecked bytesChecked problemCount problems { hash code message } reason
  startedAt finishedAt version { id } } } } }`;

interface Verification {
  id: string;
  state: string;
  chunksTotal: number;
  chunksChecked: number;
  bytesChecked: number;
  problemCount: number;
  problems: { hash: string; code: string; message: string }[];
  reason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  version: { id: string };
}

let seq = 0;
/** An image with one version from a fresh pseudo-random disk of `mib` MiB. */
async function capturedImage(mib: number, seed: number) {
  const image = await createImage(a);
  const disk = path.join(a.work, `verify-${++seq}.img`);
  randomDisk(disk, mib, seed);
  const manifest = await seedImage(a, image.id, image.name, disk);
  fs.rmSync(disk);
  const q = await a.gql<{ image: { currentVersion: { id: string } } }>(LAST, {
    token: a.operator,
    variables: { id: image.id },
  });
  return { image, manifest, versionId: q.data!.image.currentVersion.id };
}

async function last(imageId: string, token = a.operator): Promise<Verification | null> {
  const q = await a.gql<{ image: { currentVersion: { lastVerification: Verification | null } } }>(LAST, {
    token,
    variables: { id: imageId },
  });
  return q.data?.image.currentVersion.lastVerification ?? null;
}

async function ended(imageId: string): Promise<Verification> {
  let seen: Verification | null = null;
  await until(
    async () => {
      seen = await last(imageId);
      return seen !== null && !['QUEUED', 'RUNNING'].includes(seen.state);
    },
    20_000,
    'the check to end',
  );
  return seen as unknown as Verification;
}

function chunkPath(hash: string): string {
  return path.join(a.imagesDir, 'chunks', hash.slice(0, 2), hash.slice(2, 4), `${hash}.zst`);
}

const distinct = (m: Manifest) => new Set([...m.blocks, ...m.preserved].map((c) => c.hash));

/** The check's row as it is now. */
async function state(id: string) {
  return (await a.t.db.db.select().from(imageVerifications).where(eq(imageVerifications.id, id)))[0];
}

/**
 * A verifier of its own on the app's database and store, whose runner is held when it loads
 * `versionId` (the request looks a version up once, the runner once when the check starts: the
 * second look-up waits for `release`).
 */
function heldVerifier(versionId: string) {
  let release: () => void = () => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  let lookups = 0;
  const images = {
    getImage: (id: string) => a.t.app.services.images.getImage(id),
    async getVersion(id: string): Promise<ImageVersionRow | undefined> {
      const row = await a.t.app.services.images.getVersion(id);
      if (id === rawId(versionId) && ++lookups === 2) await held;
      return row;
    },
  };
  const deps = {
    config: testConfig({ BRUME_IMAGES_DIR: a.imagesDir }),
    db: a.t.db.db,
    pubsub: a.t.app.services.pubsub,
    log: pino({ level: 'silent' }),
    now: () => new Date(),
  };
  return { verifier: createStoreVerify(deps, { images }), deps, images, release: () => release() };
}

describe('verifyImageVersion', () => {
  it('Given a captured version, when an OPERATOR has it verified, then the check passes with every chunk counted and is its lastVerification; a VIEWER sees it but may not ask', async () => {
    // Given
    const { image, manifest, versionId } = await capturedImage(6, 11);
    expect(await last(image.id)).toBeNull();
    const viewer = (await a.t.createUser('VIEWER')).token;
    const refused = await a.gql(VERIFY, { token: viewer, variables: { id: versionId } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const events = a.t.app.services.pubsub.subscribe('imageEvents');
    let updates = 0;
    const reading = (async () => {
      for await (const e of events) if (e.kind === 'UPDATED' && e.image.name === image.name) updates++;
    })();

    // When
    const res = await a.gql<{ verifyImageVersion: Record<string, unknown> }>(VERIFY, {
      token: a.operator,
      variables: { id: versionId },
    });

    // Then: queued (or already running), then PASSED with every distinct chunk checked
    expect(res.data?.verifyImageVersion).toMatchObject({
      __typename: 'VerifyImageVersionSuccess',
      alreadyActive: false,
      verification: { chunksTotal: distinct(manifest).size },
    });
    const done = await ended(image.id);
    const rawBytes = [...new Map([...manifest.blocks, ...manifest.preserved].map((c) => [c.hash, c.length]))];
    expect(done).toMatchObject({
      state: 'PASSED',
      chunksTotal: distinct(manifest).size,
      chunksChecked: distinct(manifest).size,
      bytesChecked: rawBytes.reduce((n, [, len]) => n + len, 0),
      problemCount: 0,
      problems: [],
      reason: null,
      version: { id: versionId },
    });
    expect(Date.parse(done.finishedAt as string)).toBeGreaterThanOrEqual(
      Date.parse(done.startedAt as string),
    );
    expect((await last(image.id, viewer))?.id).toBe(done.id);
    // consoles reload the image when its check starts and when it ends
    await until(() => updates === 2, 2000, 'two image events');
    await events.return?.();
    await reading;
  }, 60_000);

  it('Given one chunk of a version removed from the store and another corrupted, then the check is DAMAGED and lists exactly those two, and the store is left as it was', async () => {
    // Given
    const { image, manifest, versionId } = await capturedImage(6, 12);
    const [gone, bad] = [manifest.blocks[1]!.hash, manifest.blocks[3]!.hash];
    fs.rmSync(chunkPath(gone));
    const corrupt = fs.readFileSync(chunkPath(bad));
    const at = corrupt.length >> 1;
    corrupt.writeUInt8(corrupt.readUInt8(at) ^ 0xff, at);
    fs.writeFileSync(chunkPath(bad), corrupt);
    const files = fs.readdirSync(path.join(a.imagesDir, 'chunks'), { recursive: true }).map(String).sort();
    // and a webhook for IMAGE_DAMAGED
    const hook = webhookReceiver();
    const url = `${await hook.start()}/`;
    const admin = (await a.t.createUser('ADMIN')).token;
    const made = await a.gql<{ createWebhook: { __typename: string } }>(
      'mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { __typename } }',
      { token: admin, variables: { i: { name: 'store-watch', url, events: ['IMAGE_DAMAGED'] } } },
    );
    expect(made.data?.createWebhook.__typename).toBe('CreateWebhookSuccess');

    // When
    await a.gql(VERIFY, { token: a.operator, variables: { id: versionId } });
    const done = await ended(image.id);

    // Then
    expect(done).toMatchObject({
      state: 'DAMAGED',
      chunksChecked: distinct(manifest).size,
      problemCount: 2,
    });
    const byHash = new Map(done.problems.map((p) => [p.hash, p]));
    expect([...byHash.keys()].sort()).toEqual([gone, bad].sort());
    expect(byHash.get(gone)?.code).toBe('CHUNK_NOT_FOUND');
    expect(byHash.get(bad)?.code).not.toBe('CHUNK_NOT_FOUND');
    expect(byHash.get(bad)?.message).not.toBe('');
    expect(fs.readdirSync(path.join(a.imagesDir, 'chunks'), { recursive: true }).map(String).sort()).toEqual(
      files,
    );
    expect(fs.readFileSync(chunkPath(bad))).toEqual(corrupt);

    // And: the webhook is told, once, with the image and the check to look up
    // (the event is written just after the check's row: deliveries are sent until it is there)
    await until(
      async () => {
        await a.t.app.services.webhooks.drain();
        return hook.received.length > 0;
      },
      // (a first attempt that a loaded machine timed out is tried again 10 s later)
      30_000,
      'the webhook',
    );
    await hook.close();
    expect(new Set(hook.documents().map((d) => d.id)).size).toBe(1);
    expect(hook.documents()[0]).toMatchObject({
      event: 'IMAGE_DAMAGED',
      data: {
        image: { id: image.id, name: image.name, version: 1 },
        verification: { id: done.id, chunksTotal: distinct(manifest).size, problemCount: 2 },
        reason: null,
      },
    });
  }, 60_000);

  it('Given an id that is no version, then the request is refused with ImageVersionNotFoundError', async () => {
    const image = await createImage(a);
    for (const id of [image.id, 'not-an-id']) {
      const res = await a.gql<{ verifyImageVersion: { __typename: string } }>(VERIFY, {
        token: a.operator,
        variables: { id },
      });
      expect(res.data?.verifyImageVersion.__typename).toBe('ImageVersionNotFoundError');
    }
  });

  it('Given a check held at its start, then a second ask for that version returns it, another version waits QUEUED; a stop ABORTS the running one, and the next start runs the queued one', async () => {
    // Given: a verifier whose runner is held when it loads the first version
    const first = await capturedImage(2, 13);
    const second = await capturedImage(2, 14);
    const { verifier, deps, images, release } = heldVerifier(first.versionId);

    // When: the first version asked twice, the second once
    const one = await verifier.verifyImageVersion(rawId(first.versionId), null);
    await until(async () => (await state(one.verification.id))?.state === 'RUNNING', 5000, 'running');
    const again = await verifier.verifyImageVersion(rawId(first.versionId), null);
    const other = await verifier.verifyImageVersion(rawId(second.versionId), null);

    // Then
    expect(again).toMatchObject({ alreadyActive: true, verification: { id: one.verification.id } });
    expect(other).toMatchObject({ alreadyActive: false, verification: { state: 'QUEUED' } });

    // When: the server stops while the first runs
    const stopping = verifier.stop();
    release();
    await stopping;

    // Then: the running one is ABORTED with the reason; the other still waits
    expect(await state(one.verification.id)).toMatchObject({
      state: 'ABORTED',
      reason: 'the server stopped',
    });
    expect((await state(other.verification.id))?.state).toBe('QUEUED');

    // Given: a RUNNING row left behind by a process that died (no stop at all)
    await a.t.db.db
      .update(imageVerifications)
      .set({ state: 'RUNNING' })
      .where(eq(imageVerifications.id, one.verification.id));

    // When: a server starts
    const next = createStoreVerify(deps, { images });
    try {
      await next.start();

      // Then: the leftover is ABORTED, the queued one runs and passes
      expect(await state(one.verification.id)).toMatchObject({
        state: 'ABORTED',
        reason: 'the server stopped while it ran',
      });
      await until(async () => (await state(other.verification.id))?.state === 'PASSED', 20_000, 'passed');
    } finally {
      await next.stop();
    }
  }, 60_000);
  it('Given a running check and a waiting one, when an operator cancels them, then each is ABORTED "cancelled by" them and the running one stops; the API returns an ended check unchanged, names an unknown one, and refuses a VIEWER', async () => {
    // Given: a verifier whose runner is held while it loads the first version
    const first = await capturedImage(2, 31);
    const second = await capturedImage(2, 32);
    const third = await capturedImage(2, 33);
    const { verifier, release } = heldVerifier(first.versionId);
    try {
      const running = await verifier.verifyImageVersion(rawId(first.versionId), null);
      await until(async () => (await state(running.verification.id))?.state === 'RUNNING', 5000, 'running');
      const waiting = await verifier.verifyImageVersion(rawId(second.versionId), null);
      const after = await verifier.verifyImageVersion(rawId(third.versionId), null);

      // When: the waiting one is cancelled, then the running one (released as it is told to stop)
      expect(await verifier.cancel(waiting.verification.id, 'ann')).toMatchObject({
        state: 'ABORTED',
        reason: 'cancelled by ann',
      });
      const cancelling = verifier.cancel(running.verification.id, 'ann');
      release();

      // Then
      expect(await cancelling).toMatchObject({ state: 'ABORTED', reason: 'cancelled by ann' });
      // and the next waiting check runs
      await until(async () => (await state(after.verification.id))?.state === 'PASSED', 20_000, 'the next');
      expect((await state(waiting.verification.id))?.state).toBe('ABORTED');
    } finally {
      release();
      await verifier.stop();
    }

    // And through the API: an ended check comes back unchanged, an unknown one is named, a VIEWER is refused
    const CANCEL = `mutation($id: ID!) { cancelImageVerification(input: { id: $id }) { __typename
      ... on CancelImageVerificationSuccess { verification { id state reason } } } }`;
    const ended = await last(third.image.id);
    const res = await a.gql<{ cancelImageVerification: Record<string, unknown> }>(CANCEL, {
      token: a.operator,
      variables: { id: ended?.id },
    });
    expect(res.data?.cancelImageVerification).toMatchObject({
      __typename: 'CancelImageVerificationSuccess',
      verification: { id: ended?.id, state: 'PASSED', reason: null },
    });
    const unknown = await a.gql<{ cancelImageVerification: { __typename: string } }>(CANCEL, {
      token: a.operator,
      variables: { id: third.image.id },
    });
    expect(unknown.data?.cancelImageVerification.__typename).toBe('ImageVerificationNotFoundError');
    const viewer = (await a.t.createUser('VIEWER')).token;
    const refused = await a.gql(CANCEL, { token: viewer, variables: { id: ended?.id } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  }, 60_000);

  it('Given scheduled checks every 7 days at 03:00, then in that hour the current versions without a completed check that week are queued, and at another hour nothing; older versions and recent checks are left alone', async () => {
    // Given: A (two versions, its current one checked 2 days ago) and B (checked 8 days ago)
    const a1 = await capturedImage(1, 21);
    const disk = path.join(a.work, 'verify-a2.img');
    randomDisk(disk, 1, 22);
    await seedImage(a, a1.image.id, a1.image.name, disk);
    const aCurrent = (
      await a.gql<{ image: { currentVersion: { id: string } } }>(LAST, {
        token: a.operator,
        variables: { id: a1.image.id },
      })
    ).data!.image.currentVersion.id;
    const b = await capturedImage(1, 23);
    let clock = new Date(2026, 10, 27, 4, 20); // local time: what BRUME_VERIFY_HOUR means
    const daysAgo = (n: number) => new Date(clock.getTime() - n * 24 * 3600_000);
    const checked = (versionId: string, finishedAt: Date) => ({
      imageVersionId: rawId(versionId),
      state: 'PASSED' as const,
      chunksTotal: 1,
      createdAt: finishedAt,
      finishedAt,
    });
    await a.t.db.db
      .insert(imageVerifications)
      .values([checked(aCurrent, daysAgo(2)), checked(b.versionId, daysAgo(8))]);
    const deps = {
      config: testConfig({
        BRUME_IMAGES_DIR: a.imagesDir,
        BRUME_VERIFY_EVERY_DAYS: '7',
        BRUME_VERIFY_HOUR: '3',
      }),
      db: a.t.db.db,
      pubsub: a.t.app.services.pubsub,
      log: pino({ level: 'silent' }),
      now: () => clock,
    };
    const verifier = createStoreVerify(deps, { images: a.t.app.services.images });
    const checks = async (versionId: string) =>
      a.t.db.db
        .select({ state: imageVerifications.state })
        .from(imageVerifications)
        .where(eq(imageVerifications.imageVersionId, rawId(versionId)));
    try {
      // When: 04:20, not the hour
      expect(await verifier.tick()).toBe(0);
      expect(await checks(b.versionId)).toEqual([{ state: 'PASSED' }]);

      // When: 03:20
      clock = new Date(2026, 10, 28, 3, 20);
      const queued = await verifier.tick();

      // Then: B's current version is queued (and runs), A's is not, nor A's older version
      expect(queued).toBeGreaterThanOrEqual(1);
      await until(async () => (await checks(b.versionId)).length === 2, 5000, "B's check");
      expect(await checks(aCurrent)).toEqual([{ state: 'PASSED' }]);
      expect(await checks(a1.versionId)).toEqual([]);
      // and a second tick in that hour queues nothing again for B (its check is waiting, running or done)
      await verifier.tick();
      expect((await checks(b.versionId)).length).toBe(2);
    } finally {
      await verifier.stop();
    }
  }, 60_000);
  it('Given several images with versions and checks, when a client lists them with their versions and last checks, then versions and checks are each read once for the whole list', async () => {
    // Given: earlier tests left several images, each with versions, some checked
    const { images } = a.t.app.services;
    const { storeVerify } = a.t.app.services;
    const calls = { versionsOf: 0, lastChecks: 0 };
    const listVersionsOf = images.listVersionsOf;
    const lastVerifications = storeVerify.lastVerifications;
    images.listVersionsOf = (ids) => {
      calls.versionsOf++;
      return listVersionsOf(ids);
    };
    storeVerify.lastVerifications = (ids) => {
      calls.lastChecks++;
      return lastVerifications(ids);
    };
    try {
      // When
      const res = await a.gql<{
        images: {
          edges: { node: { versions: { number: number; lastVerification: { state: string } | null }[] } }[];
        };
      }>('{ images(first: 100) { edges { node { versions { number lastVerification { state } } } } } }', {
        token: a.operator,
      });

      // Then: the whole list, from one read of each
      const nodes = res.data?.images.edges.map((e) => e.node) ?? [];
      expect(nodes.length).toBeGreaterThan(3);
      expect(
        nodes.flatMap((n) => n.versions).filter((v) => v.lastVerification !== null).length,
      ).toBeGreaterThan(2);
      expect(calls).toEqual({ versionsOf: 1, lastChecks: 1 });
    } finally {
      images.listVersionsOf = listVersionsOf;
      storeVerify.lastVerifications = lastVerifications;
    }
  });
});
