/**
 * The reference lab's core scenario on real sockets and files: capture the small fixture (FAT, NTFS,
 * ext4) with the client, watch every block go by over graphql-ws, deploy it to a blank file on
 * another host, and find the same blocks and the same files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../../server/src/imaging/index.ts';
import { pageCacheBytes } from '../imaging/readers/support/tools.ts';
import {
  blankFile,
  blockHashes,
  createHost,
  createImage,
  diskFiles,
  FIXTURE_DIR,
  FIXTURE_DISK,
  hasFixture,
  rawId,
  runClient,
  startCapture,
  startDeploy,
  startTransferApp,
  type TransferApp,
  taskState,
  until,
  watchProgress,
} from './transfer-harness.ts';

let a: TransferApp;
beforeAll(async () => {
  a = await startTransferApp();
});
afterAll(() => a?.close());

function coveredIndices(events: { blocks: { index: number }[] | null }[]): Set<number> {
  return new Set(events.flatMap((e) => (e.blocks ?? []).map((b) => b.index)));
}

describe.skipIf(!hasFixture)('unicast capture and deploy through the server', () => {
  it('Given a reference host and an image, when the client captures then another client deploys, then every block was reported and the deployed disk has the same blocks and files', async () => {
    // Given
    const reference = await createHost(a);
    const target = await createHost(a);
    const image = await createImage(a);
    const capture = await startCapture(a, reference.id, image.id);
    const captureWatch = watchProgress(a, capture.id);
    await until(() => a.t.app.services.pubsub.subscriberCount > 0, 5000, 'subscriber');

    // When: the reference machine's client runs its capture
    const captured = await runClient(['--server', a.base, '--disk', FIXTURE_DISK, '--mac', reference.mac])
      .done;

    // Then
    expect(captured.stderr).toContain('task complete');
    expect(captured.code).toBe(0);
    expect((await taskState(a, capture.rawId))?.state).toBe('COMPLETE');
    const [listed] = await a.t.app.services.images.listVersions(rawId(image.id));
    expect(listed).toBeDefined();
    const version = await a.t.app.services.images.getVersion(listed!.id);
    const manifest = parseManifest(JSON.stringify(version!.manifest));
    await until(
      () => captureWatch.events.some((e) => e.blocksTotal > 0 && e.blocksDone === e.blocksTotal),
      5000,
      'final capture event',
    );
    const last = captureWatch.events.at(-1)!;
    expect(last.blocksTotal).toBe(manifest.blocks.length);
    expect(last.bytesDone).toBe(last.bytesTotal);
    expect(coveredIndices(captureWatch.events).size).toBe(manifest.blocks.length);
    expect(captureWatch.failure()).toBeNull();
    await captureWatch.close();

    // When: a blank machine deploys it
    const disk = path.join(a.work, 'deployed.img');
    blankFile(disk, manifest.disk.size);
    const deploy = await startDeploy(a, target.id, image.id);
    const deployWatch = watchProgress(a, deploy.id);
    await until(() => a.t.app.services.pubsub.subscriberCount > 0, 5000, 'subscriber');
    const deployed = await runClient([
      '--server',
      a.base,
      '--disk',
      disk,
      '--mac',
      target.mac,
      '--state-dir',
      path.join(a.work, 'state'),
    ]).done;

    // Then
    expect(deployed.stderr).toContain('task complete');
    expect(deployed.code).toBe(0);
    expect((await taskState(a, deploy.rawId))?.state).toBe('COMPLETE');
    await until(
      () => deployWatch.events.some((e) => e.blocksTotal > 0 && e.blocksDone === e.blocksTotal),
      5000,
      'final deploy event',
    );
    expect(coveredIndices(deployWatch.events).size).toBe(manifest.blocks.length);
    const finalDeploy = deployWatch.events.at(-1)!;
    expect(finalDeploy.doneRanges).toEqual([0, manifest.blocks.length]);
    await deployWatch.close();
    expect(blockHashes(disk, manifest)).toEqual(manifest.blocks.map((b) => b.hash));
    expect(await diskFiles(disk)).toBe(fs.readFileSync(path.join(FIXTURE_DIR, 'files.sha256'), 'utf8'));
    // The store's chunk files went around the page cache both ways: uploads were written with
    // O_DIRECT, and a lone deploy reads them with O_DIRECT (active-readers.ts).
    const chunkFiles = fs
      .readdirSync(path.join(a.imagesDir, 'chunks'), { recursive: true })
      .map(String)
      .filter((name) => name.endsWith('.zst'));
    expect(chunkFiles.length).toBeGreaterThan(0);
    const cached = chunkFiles.map((name) => pageCacheBytes(path.join(a.imagesDir, 'chunks', name)));
    expect(cached.reduce((sum, bytes) => sum + bytes, 0)).toBe(0);
  }, 300_000);
});
