/**
 * Deploy tasks reading chunk files right now, so the data plane can choose how to read them.
 *
 * A lone deploy reads around the page cache (O_DIRECT): an image does not fit in a 2 GB server's
 * cache anyway, every page it would cache evicts something still useful (the database's pages),
 * and on the lab's VMs filling fresh cache pages cost more CPU than sending the bytes
 * (bench/README.md, session 8: the server's system time for a deploy of the bench image fell from
 * 0.95-1.04 s to 0.46-0.61 s).
 *
 * Two or more deploys read through the cache: started together, they fetch the same chunks within
 * seconds of each other, and the cache reads each from the disk once. Chunks are shared across
 * images, so this counts the tasks reading the whole store, not one image.
 */
export class ActiveReaders {
  private readonly lastRead = new Map<string, number>();
  private readonly windowMs: number;
  private readonly now: () => number;

  /** A task counts as reading for `windowMs` after its last block. */
  constructor(windowMs = 10_000, now: () => number = () => performance.now()) {
    this.windowMs = windowMs;
    this.now = now;
  }

  /** Notes a block read by `taskId`; true when no other task read a block within the window. */
  readAlone(taskId: string): boolean {
    const at = this.now();
    this.lastRead.set(taskId, at);
    let others = 0;
    for (const [id, last] of this.lastRead) {
      if (at - last > this.windowMs) this.lastRead.delete(id);
      else if (id !== taskId) others++;
    }
    return others === 0;
  }

  /** The task ended: it reads nothing more. */
  forget(taskId: string): void {
    this.lastRead.delete(taskId);
  }
}
