/** The shared state of the data plane's handlers: auth, progress, concurrency limits, task moves. */
import type { TaskType } from '../tasks/task-kinds.ts';
import type { TaskState } from '../tasks/task-state-machine.ts';
import type { TaskRow } from '../tasks/tasks-table.ts';
import { createProgressHub, type ProgressHub } from './progress-hub.ts';
import { TOKEN_TTL_MS } from './task-token.ts';
import { createTokenAuth, type TaskSession, type TokenAuth } from './token-auth.ts';
import type { TransferDeps, TransferOptions } from './transfer-deps.ts';
import { TransferError } from './transfer-errors.ts';

/** Task kinds the client agent runs; check-in hands out tokens for these only. */
export const CLIENT_TASK_TYPES: readonly TaskType[] = [
  'DEPLOY',
  'DEPLOY_WITHOUT_SNAPINS',
  'CAPTURE',
  'INVENTORY',
  'FAST_WIPE',
  'NORMAL_WIPE',
  'FULL_WIPE',
  'MULTICAST',
];
export const DEPLOY_TYPES: readonly TaskType[] = ['DEPLOY', 'DEPLOY_WITHOUT_SNAPINS', 'MULTICAST'];

/** A counting semaphore that refuses instead of queueing (for per-task request limits). */
export class Slots {
  private readonly used = new Map<string, number>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  take(key: string): () => void {
    const n = this.used.get(key) ?? 0;
    if (n >= this.max) throw new TransferError('BUSY', `more than ${this.max} concurrent block requests`);
    this.used.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.used.get(key) ?? 1) - 1;
      if (left <= 0) this.used.delete(key);
      else this.used.set(key, left);
    };
  }
}

/** A counting semaphore that queues (for CPU-heavy verification). */
export class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

export function createTransferCore(deps: TransferDeps, options: TransferOptions = {}) {
  const ttlMs = options.tokenTtlMs ?? TOKEN_TTL_MS;
  const auth: TokenAuth = createTokenAuth(deps, ttlMs);
  const hub: ProgressHub = createProgressHub(deps, options.publishEveryMs ?? 100);
  const slots = new Slots(options.maxBlockRequestsPerTask ?? 16);
  const verify = new Semaphore(options.maxVerifications ?? 4);

  const onFinal: ((taskId: string) => Promise<void>)[] = [];

  /** Moves the task; a lost race (already final) is not an error for the data plane. */
  async function move(taskId: string, to: TaskState, reason?: string): Promise<TaskRow | null> {
    const final = to === 'COMPLETE' || to === 'FAILED' || to === 'CANCELLED';
    try {
      if (final) await hub.finish(taskId);
      const row = await deps.tasks.transition(taskId, to, reason ? { reason } : {});
      if (final) for (const hook of onFinal) await hook(taskId).catch(() => undefined);
      return row;
    } catch (err) {
      deps.log.warn({ err, taskId, to }, 'task transition refused');
      return null;
    } finally {
      auth.invalidate(taskId);
    }
  }

  async function session(
    req: import('node:http').IncomingMessage,
    action: string,
    kinds?: readonly TaskType[],
  ): Promise<TaskSession> {
    const s = await auth.authenticate(req, action);
    if (kinds && !kinds.includes(s.task.type)) {
      await auth.audit(req, s.mac, action, s.task.id, 'WRONG_TASK_KIND');
      throw new TransferError('WRONG_TASK_KIND', `this route does not serve ${s.task.type} tasks`);
    }
    return s;
  }

  return { deps, ttlMs, auth, hub, slots, verify, move, session, onFinal };
}

export type TransferCore = ReturnType<typeof createTransferCore>;
