/**
 * Resolves a request's task token to its task, refusing (and auditing) replays on another MAC,
 * after the task ended or after expiry; renews the token and the lease with activity.
 */
import type { IncomingMessage } from 'node:http';
import { and, eq, inArray } from 'drizzle-orm';
import { normalizeMac } from '../hosts/mac-address.ts';
import { ACTIVE_TASK_STATES } from '../tasks/task-state-machine.ts';
import { type TaskRow, tasks } from '../tasks/tasks-table.ts';
import { clientAddress } from './http-io.ts';
import { checkToken, parseHolder, TOKEN_TTL_MS, taskIdOfToken } from './task-token.ts';
import type { TransferDeps } from './transfer-deps.ts';
import { isTokenRefusal, TransferError } from './transfer-errors.ts';

export interface TaskSession {
  readonly task: TaskRow;
  readonly mac: string;
  readonly holder: string;
}

/** Short cache so a block stream does not read the task row per block; cancels show within it. */
const CACHE_MS = 500;

export function createTokenAuth(deps: TransferDeps, ttlMs = TOKEN_TTL_MS) {
  const cache = new Map<string, { at: number; task: TaskRow }>();

  async function audit(
    req: IncomingMessage,
    mac: string,
    action: string,
    taskId: string | null,
    outcome: string,
  ) {
    await deps.audit
      .append({
        actorUserId: null,
        actorTokenId: null,
        actorName: `client:${mac}`,
        action: `transfer.${action}`,
        targetIds: taskId ? [taskId] : [],
        input: { method: req.method ?? '', path: (req.url ?? '').split('?')[0]?.slice(0, 200) ?? '' },
        allowed: outcome === 'OK',
        outcome,
        clientAddress: clientAddress(req),
        requestId: null,
      })
      .catch((err: unknown) => deps.log.error({ err }, 'transfer audit failed'));
  }

  async function loadTask(token: string, taskId: string): Promise<TaskRow | undefined> {
    const hit = cache.get(token);
    const at = Date.now();
    if (hit && at - hit.at < CACHE_MS) return hit.task;
    const task = await deps.tasks.getTask(taskId);
    if (task) cache.set(token, { at, task });
    else cache.delete(token);
    if (cache.size > 10_000) cache.clear();
    return task;
  }

  /** Renews the lease (and so the token) at most every sixth of its lifetime, not per block. */
  async function renew(token: string, task: TaskRow, holder: string): Promise<void> {
    const now = deps.now().getTime();
    const left = (task.leaseExpiresAt?.getTime() ?? 0) - now;
    if (left > (ttlMs * 5) / 6) return;
    const expiresAt = new Date(now + ttlMs);
    if (await deps.tasks.renewLease(task.id, holder, expiresAt)) {
      cache.set(token, { at: Date.now(), task: { ...task, leaseExpiresAt: expiresAt } });
    }
  }

  /** The session of a request, or a TransferError (token refusals are audited first). */
  async function authenticate(req: IncomingMessage, action: string): Promise<TaskSession> {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const macHeader = req.headers['brume-mac'];
    const mac = typeof macHeader === 'string' ? normalizeMac(macHeader) : undefined;
    if (!token || !mac)
      throw new TransferError('TOKEN_MISSING', 'a task token and the Brume-Mac header are required');
    const refuse = async (
      code: 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_WRONG_MAC' | 'TASK_ENDED',
      task?: TaskRow,
    ) => {
      await audit(req, mac, action, task?.id ?? null, code);
      const messages = {
        TOKEN_INVALID: 'the task token is not valid (check in again)',
        TOKEN_EXPIRED: 'the task token expired (check in again)',
        TOKEN_WRONG_MAC: 'the task token belongs to another machine',
        TASK_ENDED: `the task is ${task?.state.toLowerCase() ?? 'over'}`,
      } as const;
      return new TransferError(
        code,
        messages[code],
        task && code === 'TASK_ENDED' ? { state: task.state, reason: task.failureReason } : {},
      );
    };
    const taskId = taskIdOfToken(token);
    const task = taskId ? await loadTask(token, taskId) : undefined;
    if (!task) throw await refuse('TOKEN_INVALID');
    const verdict = checkToken({
      token,
      mac,
      taskActive: ACTIVE_TASK_STATES.includes(task.state),
      holder: task.leaseHolder,
      expiresAt: task.leaseExpiresAt,
      now: deps.now(),
    });
    if (verdict !== null) {
      cache.delete(token);
      throw await refuse(verdict, task);
    }
    const holder = task.leaseHolder as string;
    await renew(token, task, holder);
    return { task, mac, holder };
  }

  return {
    authenticate,
    audit,
    /** Forget cached rows of a task (after the data plane changed its state). */
    invalidate(taskId: string): void {
      for (const [token, hit] of cache) if (hit.task.id === taskId) cache.delete(token);
    },
    isRefusal: isTokenRefusal,
  };
}

export type TokenAuth = ReturnType<typeof createTokenAuth>;

/** Gives an active task a new holder (a restarted client checking in again). */
export async function rebindLease(deps: TransferDeps, taskId: string, holder: string, expiresAt: Date) {
  const rows = await deps.db
    .update(tasks)
    .set({ leaseHolder: holder, leaseExpiresAt: expiresAt })
    .where(and(eq(tasks.id, taskId), inArray(tasks.state, [...ACTIVE_TASK_STATES])))
    .returning();
  return rows[0];
}

export { parseHolder };
