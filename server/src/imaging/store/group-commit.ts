/**
 * Group commit of chunk files. A chunk is written to a temp file (page cache only) and queued
 * here; one batch at a time is made durable: every file fsynced, closed and renamed to its name,
 * then each directory that gained a name is fsynced once per batch. While a batch commits, new
 * files queue up, so the batch size follows the disk's speed (no timer, no waiting for a batch to
 * fill: a lone chunk commits at once).
 *
 * The crash-safety contract of the store is unchanged: a chunk name is only created (rename) after
 * that file's bytes are fsynced, so a name never points at unsynced bytes; a crash leaves temp
 * files, which the garbage collector sweeps. Batching only moves the directory fsyncs from the
 * end of a capture (~1 400 of them before the manifest could publish) into the pipeline, and caps
 * the fsyncs in flight so the libuv threads stay available to the disk reads of the pipeline.
 */

import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { boundedRun } from '../pipeline/bounded-run.ts';
import { fsyncDir } from './safe-fs.ts';

/** A written, not yet durable file: its open handle, its temp path and the name it will get. */
export interface StagedFile {
  readonly handle: FileHandle;
  readonly temp: string;
  readonly target: string;
  readonly dir: string;
  /** Directories that gained an entry for this file's path (a new leaf directory): synced after `dir`. */
  readonly parents?: readonly string[];
}

interface Entry {
  readonly file: StagedFile;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** fsyncs in flight: below libuv's 4 threads, so a disk read never queues behind a batch. */
const PARALLEL = 3;
/** Files per batch at most (each holds an open descriptor until its batch commits). */
const MAX_BATCH = 64;

export class GroupCommitter {
  private readonly queue: Entry[] = [];
  private running: Promise<void> | null = null;
  private inBatch = 0;

  /** Files queued or committing. */
  get size(): number {
    return this.queue.length + this.inBatch;
  }

  /** Resolves once `file` is durable under its name (file, name and directory entry synced). */
  commit(file: StagedFile): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.queue.push({ file, resolve, reject }));
    this.kick();
    return done;
  }

  /** Resolves when the batch committing now (if any) has finished: one batch, not the backlog. */
  async batchDone(): Promise<void> {
    await this.running;
  }

  private kick(): void {
    if (this.running !== null || this.queue.length === 0) return;
    const batch = this.queue.splice(0, MAX_BATCH);
    this.inBatch = batch.length;
    this.running = commitBatch(batch)
      // Unexpected failures settle every entry (settling one twice is a no-op), so flush never hangs.
      .catch((error: unknown) => {
        for (const e of batch) e.reject(error);
      })
      .finally(() => {
        this.running = null;
        this.inBatch = 0;
        this.kick();
      });
  }
}

async function commitBatch(batch: readonly Entry[]): Promise<void> {
  const failed = new Set<Entry>();
  const fail = async (e: Entry, error: unknown) => {
    failed.add(e);
    await fs.rm(e.file.temp, { force: true }).catch(() => undefined);
    e.reject(error);
  };
  // 1. Data durable before any name points at it.
  await boundedRun(batch.length, PARALLEL, async (i) => {
    const e = batch[i] as Entry;
    try {
      await e.file.handle.sync();
      await e.file.handle.close();
    } catch (error) {
      await e.file.handle.close().catch(() => undefined);
      await fail(e, error);
    }
  });
  // 2. Names.
  const synced = batch.filter((e) => !failed.has(e));
  await boundedRun(synced.length, PARALLEL, async (i) => {
    const e = synced[i] as Entry;
    await fs.rename(e.file.temp, e.file.target).catch((error: unknown) => fail(e, error));
  });
  // 3. Directory entries, once per directory of the batch: leaves, then the directories above
  //    them that gained a leaf (deepest first, so each level's entry is synced after the level).
  const named = synced.filter((e) => !failed.has(e));
  const leaves = [...new Set(named.map((e) => e.file.dir))];
  const parents = [...new Set(batch.flatMap((e) => e.file.parents ?? []))].sort(
    (a, b) => b.length - a.length,
  );
  let dirError: { error: unknown } | null = null;
  const syncAll = (dirs: readonly string[]) =>
    boundedRun(dirs.length, PARALLEL, (i) =>
      fsyncDir(dirs[i] as string).catch((error: unknown) => {
        dirError ??= { error };
      }),
    );
  await syncAll(leaves);
  await syncAll(parents);
  for (const e of named) {
    if (dirError === null) e.resolve();
    else e.reject((dirError as { error: unknown }).error);
  }
}
