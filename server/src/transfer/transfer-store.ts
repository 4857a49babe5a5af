/**
 * The image store as the data plane uses it: one shared reader, one writer per capture (so a
 * capture's flush and a failed fsync concern that capture only), and a staging directory per
 * capture for upload bodies, emptied at start (a killed server leaves partial bodies there).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { type LocalImageStore, openLocalStore } from '../imaging/index.ts';

export const STAGING = 'staging';

export class TransferStore {
  readonly root: string;
  private readonly reader: LocalImageStore;
  private readonly writers = new Map<string, LocalImageStore>();
  readonly ready: Promise<void>;

  constructor(root: string) {
    this.root = root;
    this.reader = openLocalStore(root);
    this.ready = fs.rm(join(root, STAGING), { recursive: true, force: true }).then(() => undefined);
  }

  read(hash: string): Promise<Uint8Array> {
    return this.reader.chunks.getCompressed(hash);
  }

  has(hash: string): Promise<boolean> {
    return this.reader.chunks.has(hash);
  }

  writer(taskId: string): LocalImageStore {
    let store = this.writers.get(taskId);
    if (!store) {
      store = openLocalStore(this.root);
      this.writers.set(taskId, store);
    }
    return store;
  }

  /** A fresh staging file path for one upload of `taskId`. */
  async stagingFile(taskId: string, hash: string): Promise<string> {
    await this.ready;
    const dir = join(this.root, STAGING, taskId);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    return join(dir, `${hash}.${randomBytes(6).toString('hex')}.part`);
  }

  /** Forgets the capture's writer and removes its staging directory. */
  async release(taskId: string): Promise<void> {
    this.writers.delete(taskId);
    await fs.rm(join(this.root, STAGING, taskId), { recursive: true, force: true });
  }

  stagingDir(taskId: string): string {
    return join(this.root, STAGING, taskId);
  }
}
