import type {
  BootActionContext,
  BootActionResult,
  BootDirectory,
  BootHost,
  BootImage,
  BootRecord,
  BootTask,
} from '../../../server/src/pxe/boot-directory.ts';

/**
 * An in-memory implementation of the PXE domain's own BootDirectory port, for the unit level:
 * hosts by MAC, images, one operator account, and a record of every call that changes state.
 */

export interface MemoryUser {
  readonly username: string;
  readonly password: string;
  readonly role: 'ADMIN' | 'OPERATOR' | 'VIEWER';
}

export class MemoryBootDirectory implements BootDirectory {
  readonly hosts = new Map<string, BootHost>();
  readonly images: BootImage[] = [];
  readonly users: MemoryUser[] = [];
  readonly boots: BootRecord[] = [];
  readonly lastSeen = new Map<string, Date>();
  readonly actions: string[] = [];
  #nextTask = 1;

  addHost(mac: string, host: Omit<BootHost, 'pendingTask'> & { pendingTask?: BootTask | null }): void {
    this.hosts.set(mac, { pendingTask: null, ...host });
  }

  async lookupByMac(mac: string): Promise<BootHost | null> {
    return this.hosts.get(mac) ?? null;
  }

  async recordBoot(entry: BootRecord): Promise<void> {
    this.boots.push(entry);
    if (entry.hostId !== null) this.lastSeen.set(entry.hostId, entry.at);
  }

  async verifyOperator(username: string, password: string) {
    const user = this.users.find((u) => u.username === username && u.password === password);
    return user !== undefined && user.role !== 'VIEWER' ? { username, userId: `user-${username}` } : null;
  }

  async listImages(): Promise<readonly BootImage[]> {
    return this.images;
  }

  #task(kind: string): BootTask {
    return { id: `task-${this.#nextTask++}`, kind };
  }

  async deployImage(ctx: BootActionContext, imageId: string): Promise<BootActionResult<BootTask>> {
    if (!this.images.some((i) => i.id === imageId)) return { ok: false, message: 'No such image' };
    this.actions.push(`deploy ${ctx.mac} ${imageId} by ${ctx.operator.username}`);
    return { ok: true, value: this.#task('deploy') };
  }

  async joinMulticastSession(
    ctx: BootActionContext,
    sessionName: string,
  ): Promise<BootActionResult<BootTask>> {
    if (sessionName !== 'lab-a') return { ok: false, message: `No session named ${sessionName}` };
    this.actions.push(`multicast ${ctx.mac} ${sessionName} by ${ctx.operator.username}`);
    return { ok: true, value: this.#task('multicast') };
  }

  async deleteHost(ctx: BootActionContext): Promise<BootActionResult<null>> {
    this.hosts.delete(ctx.mac);
    this.actions.push(`delete ${ctx.mac} by ${ctx.operator.username}`);
    return { ok: true, value: null };
  }

  async finishBootTask(taskId: string, failure: string | null): Promise<void> {
    this.actions.push(`finish ${taskId} ${failure ?? 'ok'}`);
  }

  async approveHost(ctx: BootActionContext): Promise<BootActionResult<BootTask | null>> {
    const host = this.hosts.get(ctx.mac);
    if (host === undefined) return { ok: false, message: 'Unknown host' };
    const task = this.#task('inventory');
    this.hosts.set(ctx.mac, { ...host, state: 'approved', pendingTask: task });
    this.actions.push(`approve ${ctx.mac} by ${ctx.operator.username}`);
    return { ok: true, value: task };
  }
}
