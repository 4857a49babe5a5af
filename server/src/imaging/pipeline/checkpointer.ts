/**
 * The deploy's target syncs: checkpoints (sync, then save the done-map snapshot taken before the
 * sync, so a resumed deploy never trusts unsynced blocks) and background writeback syncs.
 *
 * Writeback: without it the page cache holds every written byte until the final sync (the dirty
 * limits of a large-memory machine are gigabytes), so the disk sits idle while blocks are decoded
 * and then writes 1.3 GB in one go at the end. A sync started every `writebackBytes` (never two at
 * once, never awaited by the pipeline) overlaps the disk's work with the decoding. It changes no
 * guarantee: the final sync still runs before a deploy reports success.
 */
import type { DiskWriter } from '../layout-types.ts';
import type { DoneMap } from './done-map.ts';

export interface CheckpointerOptions {
  readonly everyMs: number;
  readonly writebackBytes: number;
}

export class Checkpointer {
  private last = performance.now();
  private running: Promise<void> | null = null;
  private background: Promise<void> | null = null;
  private backgroundError: { error: unknown } | null = null;
  private unsynced = 0;
  private readonly disk: DiskWriter;
  private readonly done: DoneMap | null;
  private readonly path: string | undefined;
  private readonly options: CheckpointerOptions;

  constructor(
    disk: DiskWriter,
    done: DoneMap | null,
    path: string | undefined,
    options: CheckpointerOptions,
  ) {
    this.disk = disk;
    this.done = done;
    this.path = path;
    this.options = options;
  }

  /** Counts written bytes; starts a background sync past the writeback threshold. */
  wrote(bytes: number): void {
    this.unsynced += bytes;
    const limit = this.options.writebackBytes;
    if (limit <= 0 || this.unsynced < limit || this.background !== null) return;
    this.unsynced = 0;
    this.background = this.disk
      .sync()
      .catch((error: unknown) => {
        this.backgroundError ??= { error };
      })
      .finally(() => {
        this.background = null;
      });
  }

  /** Waits for a background sync in flight and rethrows its failure. */
  async settled(): Promise<void> {
    await this.background;
    if (this.backgroundError !== null) throw this.backgroundError.error;
  }

  async maybeSave(): Promise<void> {
    if (this.running || performance.now() - this.last < this.options.everyMs) return;
    await this.save();
  }

  async save(): Promise<void> {
    while (this.running) await this.running;
    if (this.done === null || this.path === undefined || !this.done.isDirty) return;
    this.last = performance.now();
    const snapshot = this.done.snapshot();
    this.running = this.disk.sync().then(() => snapshot.save(this.path as string));
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }
}
