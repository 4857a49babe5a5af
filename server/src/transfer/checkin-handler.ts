/** `POST /v1/checkin`: who is this MAC, and does a task wait for it (then a task token). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { normalizeMac } from '../hosts/mac-address.ts';
import { ACTIVE_TASK_STATES } from '../tasks/task-state-machine.ts';
import { dueBy } from '../tasks/task-store.ts';
import { type TaskRow, tasks } from '../tasks/tasks-table.ts';
import { clientAddress, KIB, readJson, sendJson } from './http-io.ts';
import { checkinBody } from './request-schemas.ts';
import { issueToken } from './task-token.ts';
import { rebindLease } from './token-auth.ts';
import { CLIENT_TASK_TYPES, POLL_SECONDS, type TransferCore } from './transfer-core.ts';
import { TransferError } from './transfer-errors.ts';

async function pendingTask(core: TransferCore, hostId: string): Promise<TaskRow | undefined> {
  const now = core.deps.now();
  const [row] = await core.deps.db
    .select()
    .from(tasks)
    .where(
      and(
        eq(tasks.hostId, hostId),
        inArray(tasks.state, [...ACTIVE_TASK_STATES]),
        inArray(tasks.type, [...CLIENT_TASK_TYPES]),
        dueBy(now),
      ),
    )
    .orderBy(asc(tasks.createdAt))
    .limit(1);
  return row;
}

/** Binds a fresh token to the task: QUEUED → CHECKED_IN, or a new holder for a running task. */
async function bind(core: TransferCore, task: TaskRow, mac: string) {
  const issued = issueToken(task.id, mac);
  const expiresAt = new Date(core.deps.now().getTime() + core.ttlMs);
  const lease = { holder: issued.holder, expiresAt };
  let bound: TaskRow | undefined;
  if (task.state === 'QUEUED') {
    bound = await core.deps.tasks.transition(task.id, 'CHECKED_IN', { lease }).catch(() => undefined);
  }
  bound ??= await rebindLease(core.deps, task.id, issued.holder, expiresAt);
  core.auth.invalidate(task.id);
  return bound ? { task: bound, token: issued.token, expiresAt } : null;
}

export async function handleCheckin(core: TransferCore, req: IncomingMessage, res: ServerResponse) {
  const body = await readJson(req, 16 * KIB, checkinBody);
  const mac = normalizeMac(body.mac);
  if (!mac) throw new TransferError('INVALID_REQUEST', 'mac: not a unicast MAC address');
  const none = { task: null, token: null, tokenExpiresAt: null, pollSeconds: POLL_SECONDS };
  const host = await core.deps.hosts.findHostByMac(mac);
  if (!host) return sendJson(res, 200, { host: { state: 'unregistered' }, ...none });
  await core.deps.hosts.touchLastSeen(host.id, undefined, clientAddress(req)).catch(() => undefined);
  if (host.pending) return sendJson(res, 200, { host: { state: 'pending', name: host.name }, ...none });
  const registered = { state: 'registered', name: host.name };
  const task = await pendingTask(core, host.id);
  if (!task) return sendJson(res, 200, { host: registered, ...none });
  const admitted = await core.unicastSlots.admit(task, () => bind(core, task, mac));
  if ('inLine' in admitted) {
    if (admitted.changed) await core.deps.pubsub.publish('taskEvents', { kind: 'IN_LINE', task });
    // FOG's "In line for …": the task is named (this MAC's host owns it), no token until a slot frees.
    return sendJson(res, 200, {
      host: registered,
      ...none,
      task: { ...(await describe(core, task)), inLine: admitted.inLine },
    });
  }
  const bound = admitted.bound;
  if (!bound) return sendJson(res, 200, { host: registered, ...none });
  await core.auth.audit(req, mac, 'checkin', bound.task.id, 'OK');
  sendJson(res, 200, {
    host: registered,
    task: await describe(core, bound.task),
    token: bound.token,
    tokenExpiresAt: bound.expiresAt.toISOString(),
    pollSeconds: POLL_SECONDS,
  });
}

async function describe(core: TransferCore, task: TaskRow) {
  const image = task.imageId ? await core.deps.images.getImage(task.imageId) : undefined;
  return { id: task.id, kind: task.type, state: task.state, image: image?.name ?? null };
}
