/** The shared state of the data plane's handlers: auth, progress, concurrency limits, task moves. */
import type { TaskType } from '../tasks/task-kinds.ts';
import type { TaskState } from '../tasks/task-state-machine.ts';
import type { TaskRow } from '../tasks/tasks-table.ts';
import { ActiveReaders } from './active-readers.ts';
import { MIB } from './http-io.ts';
import { ByteBudget, ReadBuffers, Semaphore, SharedBuffers, Slots } from './limits.ts';
import { createProgressHub, type ProgressHub } from './progress-hub.ts';
import { TOKEN_TTL_MS } from './task-token.ts';
import { createTokenAuth, type TaskSession, type TokenAuth } from './token-auth.ts';
import type { TransferDeps, TransferOptions } from './transfer-deps.ts';
import { TransferError } from './transfer-errors.ts';
import { createUnicastSlots } from './unicast-slots.ts';
import { UploadVerifier } from './upload-verifier.ts';

export { ByteBudget, Semaphore, Slots };

/** How often a client without a token checks in again (FOG: every 5 s). */
export const POLL_SECONDS = 5;

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

export function createTransferCore(deps: TransferDeps, options: TransferOptions = {}) {
  const ttlMs = options.tokenTtlMs ?? TOKEN_TTL_MS;
  const auth: TokenAuth = createTokenAuth(deps, ttlMs);
  const hub: ProgressHub = createProgressHub(deps, options.publishEveryMs ?? 100);
  const maxBlockRequests = options.maxBlockRequestsPerTask ?? 16;
  const slots = new Slots(maxBlockRequests);
  // Chunk files served to deploys: a 1 MiB block's frame (zstd's bound plus headroom) fits; one
  // task's requests in flight are kept for reuse.
  const readBuffers = new ReadBuffers(MIB + 64 * 1024, maxBlockRequests);
  const readers = new ActiveReaders();
  const verifier = new UploadVerifier({
    workers: options.verifyWorkers ?? 0,
    max: options.maxVerifications ?? 4,
  });
  const uploadBytes = options.uploadMemoryBytes ?? 16 * 1024 * 1024;
  const uploadBudget = new ByteBudget(uploadBytes);
  // Every body buffer in use is within the budget, so keeping that much idle means no buffer is
  // ever dropped while a worker may still reference it (it would live until the worker's next GC).
  const bodyBuffers = new SharedBuffers(uploadBytes);

  const onFinal: ((taskId: string) => Promise<void>)[] = [async (taskId) => readers.forget(taskId)];
  // A client in line checks in every poll; three polls without one and it no longer holds others up.
  const unicastSlots = createUnicastSlots(deps, {
    ...(options.maxClients !== undefined ? { maxClients: options.maxClients } : {}),
    waitingMs: 3 * POLL_SECONDS * 1000,
  });

  /** Moves the task; a lost race (already final) is not an error for the data plane. */
  async function move(
    taskId: string,
    to: TaskState,
    reason?: string,
    imageVersionId?: string,
  ): Promise<TaskRow | null> {
    const final = to === 'COMPLETE' || to === 'FAILED' || to === 'CANCELLED';
    try {
      if (final) await hub.finish(taskId);
      const row = await deps.tasks.transition(taskId, to, {
        ...(reason ? { reason } : {}),
        ...(imageVersionId ? { imageVersionId } : {}),
      });
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

  return {
    deps,
    ttlMs,
    auth,
    hub,
    slots,
    verifier,
    uploadBudget,
    bodyBuffers,
    readBuffers,
    readers,
    unicastSlots,
    move,
    session,
    onFinal,
  };
}

export type TransferCore = ReturnType<typeof createTransferCore>;
