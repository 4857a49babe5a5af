import type { Logger } from 'pino';
import type { AuditService } from '../audit/audit-service.ts';
import type { AuthService } from '../auth/auth-service.ts';
import { roleAtLeastOf } from '../auth/roles.ts';
import { BrumeError } from '../graphql/brume-error.ts';
import type { HostRecord } from '../hosts/host-store.ts';
import type { HostsService } from '../hosts/hosts-service.ts';
import type { ImagesService } from '../images/images-service.ts';
import type { MulticastService } from '../multicast/multicast-service.ts';
import { isImagingTaskType } from '../tasks/task-kinds.ts';
import { ACTIVE_TASK_STATES } from '../tasks/task-state-machine.ts';
import type { TasksService } from '../tasks/tasks-service.ts';
import type { TaskRow } from '../tasks/tasks-table.ts';
import type {
  BootActionContext,
  BootActionResult,
  BootDirectory,
  BootHost,
  BootOperator,
  BootRecord,
  BootTask,
} from './boot-directory.ts';

/**
 * BootDirectory over the real services: the only file of the PXE domain that knows them. Domain
 * refusals (BrumeError: busy host, protected image, ...) become messages on the client's screen;
 * anything else propagates and the handler answers with a generic error script.
 */

export interface PxeDirectoryServices {
  readonly hosts: HostsService;
  readonly tasks: TasksService;
  readonly images: ImagesService;
  readonly auth: AuthService;
  readonly audit: AuditService;
  /** "Join Multicast Session" (multicast issue): optional so older wiring still builds. */
  readonly multicast?: Pick<MulticastService, 'joinMulticastSession'>;
}

class MulticastUnavailableError extends BrumeError {
  readonly code = 'MULTICAST_UNAVAILABLE';
  constructor() {
    super('Joining a session from the boot menu is not available on this server');
  }
}

const MAX_IMAGES_IN_MENU = 100;

function toBootTask(task: TaskRow): BootTask {
  return { id: task.id, kind: task.type.toLowerCase() };
}

async function refusalAsMessage<T>(work: () => Promise<T>): Promise<BootActionResult<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (err) {
    if (err instanceof BrumeError) return { ok: false, message: err.message };
    throw err;
  }
}

export function createPxeDirectory(
  services: PxeDirectoryServices,
  deps: { readonly log: Logger; readonly now: () => Date },
): BootDirectory {
  const { hosts, tasks, images, auth, audit } = services;

  /** The oldest active imaging task that is due: what the client will check in for. */
  async function pendingTaskOf(hostId: string): Promise<BootTask | null> {
    const active = await tasks.listTasks({ hostId, states: ACTIVE_TASK_STATES }, { offset: 0, limit: 20 });
    const due = active
      .filter((t) => isImagingTaskType(t.type) && (t.scheduledAt === null || t.scheduledAt <= deps.now()))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    return due[0] ? toBootTask(due[0]) : null;
  }

  async function toBootHost(host: HostRecord): Promise<BootHost> {
    return {
      id: host.id,
      name: host.name,
      state: host.pending ? 'pending' : 'approved',
      pendingTask: await pendingTaskOf(host.id),
    };
  }

  async function auditAction(
    ctx: BootActionContext,
    action: string,
    targetIds: string[],
    outcome: string,
    allowed = true,
  ) {
    await audit.append({
      actorUserId: ctx.operator.userId,
      actorTokenId: null,
      actorName: ctx.operator.username,
      action: `pxe.${action}`,
      targetIds,
      input: { mac: ctx.mac },
      allowed,
      outcome,
      clientAddress: ctx.address,
      requestId: null,
    });
  }

  /** Deploy needs an approved host: an operator's login registers and approves the machine. */
  async function approvedHostFor(ctx: BootActionContext): Promise<string> {
    if (ctx.host === null) {
      const created = await hosts.registerHost({ macs: [ctx.mac] });
      await hosts.approveHost(created.id);
      await auditAction(ctx, 'registerHost', [created.id], `registered as ${created.name} and approved`);
      return created.id;
    }
    if (ctx.host.state === 'pending') {
      await hosts.approveHost(ctx.host.id);
      await auditAction(ctx, 'approveHost', [ctx.host.id], 'approved before deploy');
    }
    return ctx.host.id;
  }

  return {
    async lookupByMac(mac) {
      const host = await hosts.findHostByMac(mac);
      return host ? toBootHost(host) : null;
    },

    async recordBoot(entry: BootRecord) {
      if (entry.hostId !== null) await hosts.touchLastSeen(entry.hostId, entry.at, entry.address);
      if (entry.outcome === 'login-refused') {
        // Refused menu logins are the one boot event that belongs in the audit log.
        await audit.append({
          actorUserId: null,
          actorTokenId: null,
          actorName: `pxe:${entry.mac}`,
          action: 'pxe.login',
          targetIds: entry.hostId ? [entry.hostId] : [],
          input: { mac: entry.mac, arch: entry.arch },
          allowed: false,
          outcome: 'invalid login',
          clientAddress: entry.address,
          requestId: null,
        });
      }
    },

    async verifyOperator(username, password, address): Promise<BootOperator | null> {
      try {
        const user = await auth.verifyCredentials(username, password, address);
        return roleAtLeastOf(user.role, 'OPERATOR') ? { username: user.username, userId: user.id } : null;
      } catch (err) {
        // Wrong password, unknown user, disabled user or throttled: the menu says "Invalid login".
        if (err instanceof BrumeError) return null;
        throw err;
      }
    },

    async listImages() {
      const rows = await images.listImages({ offset: 0, limit: MAX_IMAGES_IN_MENU });
      return rows.filter((image) => image.enabled).map((image) => ({ id: image.id, name: image.name }));
    },

    deployImage: (ctx, imageId) =>
      refusalAsMessage(async () => {
        const hostId = await approvedHostFor(ctx);
        const [task] = await tasks.startDeploy(
          { hostIds: [hostId], imageId },
          { userId: ctx.operator.userId },
        );
        await auditAction(ctx, 'startDeploy', [hostId, imageId], `task ${task!.id}`);
        return toBootTask(task!);
      }),

    joinMulticastSession: (ctx, sessionName) =>
      refusalAsMessage(async () => {
        // Wired by the composition root; a directory built without it refuses on screen.
        if (!services.multicast) throw new MulticastUnavailableError();
        const hostId = await approvedHostFor(ctx);
        const { session, task } = await services.multicast.joinMulticastSession(
          { sessionName, hostId },
          { userId: ctx.operator.userId },
        );
        await auditAction(ctx, 'joinMulticastSession', [hostId, session.id], `task ${task.id}`);
        return toBootTask(task);
      }),

    deleteHost: (ctx) =>
      refusalAsMessage(async () => {
        if (ctx.host === null) throw new Error('deleteHost without a host');
        await hosts.deleteHost(ctx.host.id);
        await auditAction(ctx, 'deleteHost', [ctx.host.id], 'deleted');
        return null;
      }),

    async finishBootTask(taskId, failure) {
      const lease = { holder: 'server:boot-chain', expiresAt: new Date(deps.now().getTime() + 60_000) };
      await tasks.transition(taskId, 'CHECKED_IN', { lease });
      await tasks.transition(taskId, 'IN_PROGRESS', { lease });
      await tasks.transition(taskId, failure === null ? 'COMPLETE' : 'FAILED', { reason: failure });
    },

    approveHost: (ctx) =>
      refusalAsMessage(async () => {
        if (ctx.host === null) throw new Error('approveHost without a host');
        await hosts.approveHost(ctx.host.id);
        // FOG queues an inventory on approval; the next boot runs it.
        const [task] = await tasks.startInventory(
          { hostIds: [ctx.host.id] },
          { userId: ctx.operator.userId },
        );
        await auditAction(
          ctx,
          'approveHost',
          [ctx.host.id],
          `approved; inventory task ${task?.id ?? 'none'}`,
        );
        return task ? toBootTask(task) : null;
      }),
  };
}
