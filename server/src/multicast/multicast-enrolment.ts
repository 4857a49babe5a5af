/**
 * Creating sessions and putting hosts in them: a named session to join from the boot menu, a
 * host-set session with its tasks, a host joining by name. Each is one transaction, so a
 * refusal (bad settings, busy host, name taken) leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceDeps } from '../app/service-deps.ts';
import { InputValidationError } from '../graphql/input-validation-error.ts';
import { isValidImageName } from '../images/image-name.ts';
import { assertHostsReady, insertTasks } from '../tasks/task-queue.ts';
import type { Actor, TasksService } from '../tasks/tasks-service.ts';
import { MulticastSessionNotFoundError } from './multicast-errors.ts';
import {
  checkJoinable,
  checkSessionName,
  checkSessionSettings,
  type SessionSettings,
} from './multicast-rules.ts';
import { imageVersionFor, insertSession, rethrowUnique, sessionByName } from './multicast-session-store.ts';
import { type MulticastSessionRow, multicastReceivers } from './multicast-table.ts';

export interface CreateSessionInput extends SessionSettings {
  readonly name: string;
  readonly imageId: string;
  readonly expectedReceivers?: number | null;
}

export interface JoinSessionInput {
  readonly sessionName: string;
  readonly hostId: string;
}

export interface StartMulticastInput extends SessionSettings {
  readonly hostIds: readonly string[];
  readonly imageId: string;
  readonly name?: string | null;
}

const MAX_RECEIVERS = 1000;

const autoName = (at: Date) =>
  `mc-${at.toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomBytes(2).toString('hex')}`;

export function createEnrolment(deps: ServiceDeps, tasks: Pick<TasksService, 'announce'>) {
  const { db, now } = deps;
  return {
    /** A session joined by name from the boot menu: no host set yet. */
    async createMulticastSession(input: CreateSessionInput, actor: Actor): Promise<MulticastSessionRow> {
      const name = checkSessionName(input.name);
      checkSessionSettings(input);
      const expected = input.expectedReceivers ?? 0;
      if (!Number.isInteger(expected) || expected < 0 || expected > MAX_RECEIVERS) {
        throw new InputValidationError([
          { path: ['input', 'expectedReceivers'], message: `0 to ${MAX_RECEIVERS}` },
        ]);
      }
      try {
        return await db.transaction(async (tx) => {
          const { image, version } = await imageVersionFor(tx, input.imageId);
          return insertSession(tx, {
            name,
            imageId: image.id,
            imageVersionId: version.id,
            expectedReceivers: expected,
            minReceivers: input.minReceivers,
            maxWaitSeconds: input.maxWaitSeconds,
            rateLimitBytesPerSecond: input.rateLimitBytesPerSecond ?? null,
            createdById: actor.userId,
          });
        });
      } catch (err) {
        rethrowUnique(err, name);
      }
    },

    /** The session, one receiver row and one MULTICAST task per host: all or nothing. */
    async startMulticast(input: StartMulticastInput, actor: Actor) {
      const hostIds = [...new Set(input.hostIds)];
      if (hostIds.length === 0 || hostIds.length > MAX_RECEIVERS) {
        throw new InputValidationError([
          { path: ['input', 'hostIds'], message: `1 to ${MAX_RECEIVERS} hosts` },
        ]);
      }
      checkSessionSettings(input, hostIds.length);
      const name = checkSessionName(input.name ?? autoName(now()));
      try {
        const result = await db.transaction(async (tx) => {
          const { image, version } = await imageVersionFor(tx, input.imageId);
          const session = await insertSession(tx, {
            name,
            imageId: image.id,
            imageVersionId: version.id,
            expectedReceivers: hostIds.length,
            minReceivers: input.minReceivers,
            maxWaitSeconds: input.maxWaitSeconds,
            rateLimitBytesPerSecond: input.rateLimitBytesPerSecond ?? null,
            createdById: actor.userId,
          });
          await assertHostsReady(tx, hostIds);
          const specs = hostIds.map((hostId) => ({
            type: 'MULTICAST' as const,
            hostId,
            imageId: image.id,
            imageVersionId: version.id,
            createdById: actor.userId,
          }));
          const created = await insertTasks(tx, specs, now());
          await tx
            .insert(multicastReceivers)
            .values(created.map((task) => ({ sessionId: session.id, hostId: task.hostId, taskId: task.id })));
          return { session, tasks: created };
        });
        tasks.announce(result.tasks);
        return result;
      } catch (err) {
        rethrowUnique(err, name);
      }
    },

    /**
     * FOG's "Join Multicast Session": the host's MULTICAST task in the open session of that name
     * (case-insensitive). A host that was a receiver before (its task failed or was cancelled)
     * gets its receiver row back with the new task.
     */
    async joinMulticastSession(input: JoinSessionInput, actor: Actor) {
      if (!isValidImageName(input.sessionName)) throw new MulticastSessionNotFoundError(input.sessionName);
      const result = await db.transaction(async (tx) => {
        const session = await sessionByName(tx, input.sessionName);
        await assertHostsReady(tx, [input.hostId]);
        checkJoinable(session, now(), deps.config.multicast.lateJoinMs);
        const at = now();
        const [task] = await insertTasks(
          tx,
          [
            {
              type: 'MULTICAST',
              hostId: input.hostId,
              imageId: session.imageId,
              imageVersionId: session.imageVersionId,
              createdById: actor.userId,
            },
          ],
          at,
        );
        await tx
          .insert(multicastReceivers)
          .values({ sessionId: session.id, hostId: input.hostId, taskId: task!.id })
          .onConflictDoUpdate({
            target: [multicastReceivers.sessionId, multicastReceivers.hostId],
            set: {
              taskId: task!.id,
              state: 'EXPECTED',
              blocksDone: 0,
              bytesDone: 0,
              joinedAt: null,
              updatedAt: at,
            },
          });
        return { session, task: task! };
      });
      tasks.announce([result.task]);
      return result;
    },
  };
}
