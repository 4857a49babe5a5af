/**
 * FOG's unicast slots: at most `maxClients` deploys and captures move image data through this
 * server at once; a client whose task would exceed that waits in line at check-in ("In line for
 * …": no token yet, it checks in again every poll). A lab of thirty machines deploying at once
 * then runs ten at a time instead of thirty sharing the disk, the cores and a 2 GB server's memory
 * (each running deploy holds up to 16 MiB of chunk buffers on the server).
 *
 * The limit is the MASTER storage node's `maxClients` when one is defined (FOG's setting), else
 * `BRUME_MAX_CLIENTS` (10, FOG's default). Multicast, inventory and wipes take no slot: a
 * multicast session sends once for all, the others move no image data.
 *
 * The waiting clients are served in the order their tasks were queued, unless an operator moved
 * one to the front (`linePriority`): a client takes a free slot only when no task ahead of its
 * own is waiting too. A task counts as waiting while its
 * host checked in within `waitingMs` (three check-in polls: a machine switched off does not hold
 * up the line). Decisions are serialised in this process (one server per database).
 */
import { and, count, eq, gt, gte, inArray, lt, max, ne, or } from 'drizzle-orm';
import { hosts } from '../hosts/hosts-table.ts';
import { storageNodes } from '../storage/storage-table.ts';
import { TaskNotFoundError, TaskNotInLineError } from '../tasks/task-errors.ts';
import type { TaskType } from '../tasks/task-kinds.ts';
import { dueBy, selectTask } from '../tasks/task-store.ts';
import { type TaskRow, tasks } from '../tasks/tasks-table.ts';
import type { TransferDeps } from './transfer-deps.ts';

/** Task kinds that hold a slot while checked in or in progress. */
export const SLOT_TASK_TYPES: readonly TaskType[] = ['DEPLOY', 'DEPLOY_WITHOUT_SNAPINS', 'CAPTURE'];
/** FOG's default "Max Clients" of a storage node. */
export const DEFAULT_MAX_CLIENTS = 10;

export interface InLine {
  /** Waiting tasks queued before this one. */
  readonly ahead: number;
  /** Slots in use, and how many there are. */
  readonly busy: number;
  readonly slots: number;
}

export interface UnicastSlots {
  /**
   * Where a task stands while its client waits in line: set for a QUEUED deploy or capture whose
   * host checked in recently and would be refused a slot now; null otherwise.
   */
  standing(task: TaskRow): Promise<InLine | null>;
  /**
   * Runs `bind` (the move to CHECKED_IN) when a slot is free for `task` and no earlier task
   * waits; otherwise returns where it stands in line. One decision at a time, so two clients
   * checking in together never both take the last slot.
   */
  admit<T>(
    task: TaskRow,
    bind: () => Promise<T>,
  ): Promise<{ bound: T } | { inLine: InLine; changed: boolean }>;
  /**
   * Puts a QUEUED deploy or capture ahead of every other one (its priority becomes the highest
   * plus one; unchanged when it is already alone at the top). Serialised with `admit`, so a slot
   * that frees while the operator acts goes to one task or the other, never both.
   */
  moveToFront(taskId: string): Promise<TaskRow>;
  /** How many slots there are now (the MASTER node's maxClients, else the configured limit). */
  limit(): Promise<number>;
  /** Deploys and captures CHECKED_IN or IN_PROGRESS now. */
  busy(): Promise<number>;
}

export function createUnicastSlots(
  deps: Pick<TransferDeps, 'db' | 'now'>,
  options: { maxClients?: number; waitingMs: number },
): UnicastSlots {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  async function slots(): Promise<number> {
    const [master] = await deps.db
      .select({ maxClients: storageNodes.maxClients })
      .from(storageNodes)
      .where(eq(storageNodes.role, 'MASTER'))
      .limit(1);
    return master?.maxClients ?? options.maxClients ?? DEFAULT_MAX_CLIENTS;
  }

  async function busy(): Promise<number> {
    const [row] = await deps.db
      .select({ n: count() })
      .from(tasks)
      .where(
        and(inArray(tasks.type, [...SLOT_TASK_TYPES]), inArray(tasks.state, ['CHECKED_IN', 'IN_PROGRESS'])),
      );
    return row?.n ?? 0;
  }

  /** Due slot tasks queued before `task` whose host is checking in (waiting, not switched off). */
  async function ahead(task: TaskRow): Promise<number> {
    const now = deps.now();
    const [row] = await deps.db
      .select({ n: count() })
      .from(tasks)
      .innerJoin(hosts, eq(hosts.id, tasks.hostId))
      .where(
        and(
          inArray(tasks.type, [...SLOT_TASK_TYPES]),
          eq(tasks.state, 'QUEUED'),
          // An operator's priority first; then queue order. Tasks queued by one request share
          // their creation time: the id orders them.
          or(
            gt(tasks.linePriority, task.linePriority),
            and(
              eq(tasks.linePriority, task.linePriority),
              or(
                lt(tasks.createdAt, task.createdAt),
                and(eq(tasks.createdAt, task.createdAt), lt(tasks.id, task.id)),
              ),
            ),
          ),
          dueBy(now),
          gte(hosts.lastSeenAt, new Date(now.getTime() - options.waitingMs)),
        ),
      );
    return row?.n ?? 0;
  }

  async function inLineNow(task: TaskRow): Promise<InLine | null> {
    const [limit, used, before] = await Promise.all([slots(), busy(), ahead(task)]);
    return used + before < limit ? null : { ahead: before, busy: used, slots: limit };
  }

  /** The place each waiting task was last told, so a change is published once (not every poll). */
  const told = new Map<string, { place: string; at: number }>();
  function tell(taskId: string, line: InLine): boolean {
    const now = deps.now().getTime();
    for (const [id, t] of told) if (t.at < now - 4 * options.waitingMs) told.delete(id);
    const place = `${line.ahead}/${line.busy}/${line.slots}`;
    const changed = told.get(taskId)?.place !== place;
    told.set(taskId, { place, at: now });
    return changed;
  }

  const waits = (task: TaskRow) => task.state === 'QUEUED' && SLOT_TASK_TYPES.includes(task.type);

  return {
    async standing(task) {
      if (!waits(task)) return null;
      const [host] = await deps.db
        .select({ lastSeenAt: hosts.lastSeenAt })
        .from(hosts)
        .where(eq(hosts.id, task.hostId));
      const seen = host?.lastSeenAt?.getTime() ?? 0;
      if (seen < deps.now().getTime() - options.waitingMs) return null;
      return inLineNow(task);
    },
    admit(task, bind) {
      if (!waits(task)) return bind().then((bound) => ({ bound }));
      return serial(async () => {
        const line = await inLineNow(task);
        if (line === null) {
          told.delete(task.id);
          return { bound: await bind() };
        }
        return { inLine: line, changed: tell(task.id, line) };
      });
    },
    limit: slots,
    busy,
    moveToFront(taskId) {
      return serial(async () => {
        const task = await selectTask(deps.db, taskId);
        if (!task) throw new TaskNotFoundError(taskId);
        if (!waits(task)) throw new TaskNotInLineError(task.state, task.type);
        const [top] = await deps.db
          .select({ priority: max(tasks.linePriority) })
          .from(tasks)
          .where(
            and(inArray(tasks.type, [...SLOT_TASK_TYPES]), eq(tasks.state, 'QUEUED'), ne(tasks.id, task.id)),
          );
        const highest = top?.priority ?? null;
        if (highest === null || task.linePriority > highest) return task;
        const [moved] = await deps.db
          .update(tasks)
          .set({ linePriority: highest + 1, updatedAt: deps.now() })
          .where(and(eq(tasks.id, task.id), eq(tasks.state, 'QUEUED')))
          .returning();
        if (moved) return moved;
        // Cancelled (or failed by the scheduler) between the read and the update.
        const now = await selectTask(deps.db, taskId);
        throw new TaskNotInLineError(now?.state ?? 'CANCELLED', task.type);
      });
    },
  };
}
