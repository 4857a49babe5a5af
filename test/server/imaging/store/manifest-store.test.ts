import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ImageNotFoundError,
  InvalidImageNameError,
  InvalidManifestError,
  LocalManifestStore,
  type Manifest,
  parseManifest,
  UnsupportedManifestVersionError,
} from '../../../../server/src/imaging/manifest/index.ts';
import { tempDir } from '../pipeline/support/engine-fixtures.ts';

const tmp = tempDir('brume-manifest-');
afterAll(tmp.cleanup);
const H = (c: string) => c.repeat(64);

function manifest(name: string, hashes: string[]): Manifest {
  return {
    format: 'brume-image',
    formatVersion: 1,
    name,
    createdAt: new Date(0).toISOString(),
    blockSize: 1 << 20,
    compression: { algorithm: 'zstd', level: 3 },
    disk: { size: 1 << 30, sectorSize: 512, table: 'gpt' },
    preserved: [{ offset: 0, length: 1 << 20, hash: H('0'), storedSize: 10 }],
    partitions: [
      {
        number: 1,
        start: 1 << 20,
        size: 1 << 29,
        typeId: 'x',
        fs: 'ext4',
        clusterSize: 4096,
        usedBytes: 8192,
        blocks: hashes.length,
      },
    ],
    blocks: hashes.map((hash, i) => ({
      offset: (1 + i) << 20,
      length: 1 << 20,
      hash,
      storedSize: 5,
      partition: 1,
    })),
    totals: {
      blocks: hashes.length,
      blockBytes: hashes.length << 20,
      usedBytes: 8192,
      storedBytes: 15,
      preservedBytes: 1 << 20,
    },
  };
}

describe('manifest store', () => {
  it('Given two captures of one image, then versions 1 and 2 are published, current points at 2, and each reads back equal', async () => {
    const store = new LocalManifestStore(join(tmp.dir, 'a'));
    const m1 = manifest('lab-win11', [H('a')]);
    const m2 = manifest('lab-win11', [H('a'), H('b')]);
    expect(await store.publish(m1)).toBe(1);
    expect(await store.publish(m2)).toBe(2);
    expect(await store.listVersions('lab-win11')).toEqual([1, 2]);
    expect(await store.currentVersion('lab-win11')).toBe(2);
    expect(readFileSync(join(tmp.dir, 'a', 'images', 'lab-win11', 'current'), 'utf8').trim()).toBe('2');
    expect(await store.read('lab-win11')).toEqual(m2);
    expect(await store.read('lab-win11', 1)).toEqual(m1);
    expect(await store.listImages()).toEqual(['lab-win11']);
    await expect(store.read('lab-win11', 3)).rejects.toBeInstanceOf(ImageNotFoundError);
    await expect(store.read('nope')).rejects.toBeInstanceOf(ImageNotFoundError);
  });

  it('Given three versions, when the current one and then the others are removed, then current moves to the newest left and the image goes with its last version', async () => {
    const store = new LocalManifestStore(join(tmp.dir, 'rm'));
    for (const hashes of [[H('a')], [H('b')], [H('c')]]) await store.publish(manifest('lab-rm', hashes));
    await store.removeVersion('lab-rm', 3);
    expect(await store.listVersions('lab-rm')).toEqual([1, 2]);
    expect(await store.currentVersion('lab-rm')).toBe(2);
    expect(readFileSync(join(tmp.dir, 'rm', 'images', 'lab-rm', 'current'), 'utf8').trim()).toBe('2');
    await store.removeVersion('lab-rm', 1);
    expect(await store.currentVersion('lab-rm')).toBe(2);
    expect((await store.read('lab-rm')).blocks[0]?.hash).toBe(H('b'));
    await store.removeVersion('lab-rm', 2);
    expect(await store.listImages()).toEqual([]);
    expect(existsSync(join(tmp.dir, 'rm', 'images', 'lab-rm'))).toBe(false);
    await expect(store.removeVersion('lab-rm', 2)).resolves.toBeUndefined();
    await expect(store.removeVersion('../x', 1)).rejects.toBeInstanceOf(InvalidImageNameError);
  });

  it('Given names that are paths or dots, then they are refused before touching the disk', async () => {
    const store = new LocalManifestStore(join(tmp.dir, 'b'));
    for (const bad of ['.', '..', '../x', 'a/b', '', 'x'.repeat(65), 'sp ace', 'é']) {
      await expect(store.read(bad)).rejects.toBeInstanceOf(InvalidImageNameError);
      await expect(store.publish({ ...manifest('ok', []), name: bad })).rejects.toBeInstanceOf(
        InvalidImageNameError,
      );
    }
  });

  it('Given a symlinked image directory planted in the store, then it is not followed', async () => {
    const root = join(tmp.dir, 'c');
    const outside = join(tmp.dir, 'c-outside');
    mkdirSync(join(outside, 'versions', '1'), { recursive: true });
    writeFileSync(join(outside, 'versions', '1', 'manifest.json'), JSON.stringify(manifest('evil', [])));
    mkdirSync(join(root, 'images'), { recursive: true });
    symlinkSync(outside, join(root, 'images', 'evil'));
    const store = new LocalManifestStore(root);
    await expect(store.read('evil', 1)).rejects.toThrow(/symlink|not a directory/);
    expect(await store.listImages()).toEqual([]);
  });

  it('Given damaged or foreign manifests, then reading fails with typed errors', () => {
    expect(() => parseManifest('{not json')).toThrow(InvalidManifestError);
    expect(() => parseManifest(JSON.stringify({ ...manifest('x', []), formatVersion: 2 }))).toThrow(
      UnsupportedManifestVersionError,
    );
    const bad = manifest('x', [H('a'), H('b')]);
    expect(() => parseManifest(JSON.stringify({ ...bad, blocks: [bad.blocks[1], bad.blocks[0]] }))).toThrow(
      InvalidManifestError,
    );
    expect(() =>
      parseManifest(JSON.stringify({ ...bad, blocks: [{ ...bad.blocks[0], hash: 'zz' }] })),
    ).toThrow(InvalidManifestError);
    expect(() =>
      parseManifest(JSON.stringify({ ...bad, blocks: [{ ...bad.blocks[0], offset: 1 << 30 }] })),
    ).toThrow(/outside its partition/);
  });
});
