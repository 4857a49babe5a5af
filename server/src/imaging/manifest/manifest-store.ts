/**
 * Where manifests live. The interface is what the server and the CLI use; `LocalManifestStore` keeps
 * them in the chunk store's directory (`images/<name>/versions/<n>/manifest.json`, see MANIFEST.md).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, existingDir, readFileNoFollow, writeFileAtomic } from '../store/safe-fs.ts';
import { assertImageName, parseManifest, serializeManifest } from './manifest-codec.ts';
import { ImageNotFoundError } from './manifest-errors.ts';
import type { Manifest } from './manifest-schema.ts';

export interface ManifestStore {
  listImages(): Promise<string[]>;
  /** Published versions, ascending. */
  listVersions(name: string): Promise<number[]>;
  currentVersion(name: string): Promise<number>;
  /** The given version, or the current one. */
  read(name: string, version?: number): Promise<Manifest>;
  /** Publishes a new version atomically and makes it current; returns its number. */
  publish(manifest: Manifest): Promise<number>;
}

const VERSION = /^[1-9][0-9]{0,8}$/;

export class LocalManifestStore implements ManifestStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  async listImages(): Promise<string[]> {
    const dir = await existingDir(this.root, ['images']);
    if (dir === null) return [];
    const entries = await fs.readdir(dir, { withFileTypes: true });
    const names = entries.filter((e) => e.isDirectory() && isImageName(e.name)).map((e) => e.name);
    const published = await Promise.all(
      names.map(async (n) => ((await this.listVersions(n)).length ? n : null)),
    );
    return published.filter((n): n is string => n !== null).sort();
  }

  async listVersions(name: string): Promise<number[]> {
    assertImageName(name);
    const dir = await existingDir(this.root, ['images', name, 'versions']);
    if (dir === null) return [];
    const versions: number[] = [];
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !VERSION.test(entry.name)) continue;
      const st = await fs.lstat(join(dir, entry.name, 'manifest.json')).catch(() => null);
      if (st?.isFile()) versions.push(Number(entry.name));
    }
    return versions.sort((a, b) => a - b);
  }

  async currentVersion(name: string): Promise<number> {
    assertImageName(name);
    const dir = await existingDir(this.root, ['images', name]);
    if (dir === null) throw new ImageNotFoundError(name);
    const text = await readFileNoFollow(join(dir, 'current')).then(
      (b) => b.toString('utf8').trim(),
      () => '',
    );
    if (VERSION.test(text)) return Number(text);
    // No pointer (or a damaged one): the newest published version is current.
    const versions = await this.listVersions(name);
    const newest = versions.at(-1);
    if (newest === undefined) throw new ImageNotFoundError(name);
    return newest;
  }

  async read(name: string, version?: number): Promise<Manifest> {
    assertImageName(name);
    const n = version ?? (await this.currentVersion(name));
    const dir = await existingDir(this.root, ['images', name, 'versions', String(n)]);
    const path = dir === null ? null : join(dir, 'manifest.json');
    const text = path === null ? null : await readFileNoFollow(path).catch(() => null);
    if (text === null) throw new ImageNotFoundError(name, n);
    return parseManifest(text.toString('utf8'), `${name} v${n}`);
  }

  async publish(manifest: Manifest): Promise<number> {
    assertImageName(manifest.name);
    const versionsDir = await ensureDir(this.root, ['images', manifest.name, 'versions']);
    const body = Buffer.from(serializeManifest(manifest));
    // mkdir is the claim on a version number: a concurrent capture takes the next one.
    for (let n = ((await this.listAllVersionDirs(versionsDir)).at(-1) ?? 0) + 1; ; n++) {
      try {
        await fs.mkdir(join(versionsDir, String(n)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw error;
      }
      await writeFileAtomic(join(versionsDir, String(n)), 'manifest.json', body);
      await writeFileAtomic(join(this.root, 'images', manifest.name), 'current', Buffer.from(`${n}\n`));
      return n;
    }
  }

  /** Makes a published version the current one (what a deploy from this store takes). */
  async setCurrent(name: string, version: number): Promise<void> {
    if (!(await this.listVersions(name)).includes(version)) throw new ImageNotFoundError(name, version);
    await writeFileAtomic(join(this.root, 'images', name), 'current', Buffer.from(`${version}\n`));
  }

  /**
   * Removes a published version's manifest; its chunks stay until a garbage collection. When it was
   * the current one, the newest version left becomes current; the image's directory goes with its
   * last version.
   */
  async removeVersion(name: string, version: number): Promise<void> {
    assertImageName(name);
    const versionsDir = await existingDir(this.root, ['images', name, 'versions']);
    if (versionsDir === null) return;
    await fs.rm(join(versionsDir, String(version)), { recursive: true, force: true });
    const imageDir = join(this.root, 'images', name);
    const left = await this.listVersions(name);
    const newest = left.at(-1);
    if (newest === undefined) {
      await fs.rm(imageDir, { recursive: true, force: true });
      return;
    }
    if (!left.includes(await this.currentVersion(name)))
      await writeFileAtomic(imageDir, 'current', Buffer.from(`${newest}\n`));
  }

  private async listAllVersionDirs(dir: string): Promise<number[]> {
    const entries = await fs.readdir(dir);
    return entries
      .filter((e) => VERSION.test(e))
      .map(Number)
      .sort((a, b) => a - b);
  }
}

function isImageName(name: string): boolean {
  try {
    assertImageName(name);
    return true;
  } catch {
    return false;
  }
}
