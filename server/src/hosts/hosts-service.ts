import { and, eq, inArray, isNull, lt, notExists, or, sql } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { Executor } from '../db/database.ts';
import { ACTIVE_TASK_STATES } from '../tasks/task-state-machine.ts';
import { tasks } from '../tasks/tasks-table.ts';
import {
  DuplicateHostNameError,
  DuplicateMacError,
  HostBusyError,
  HostNotFoundError,
} from './host-errors.ts';
import type { HostEventKind } from './host-events.ts';
import { exportHostsCsv } from './host-export.ts';
import { type HostImportResult, importHosts } from './host-import.ts';
import { checkDescription, checkHostName, checkShortText, normalizeMacList } from './host-input-rules.ts';
import { createHostInventoryService } from './host-inventory-service.ts';
import {
  countHosts,
  type HostRecord,
  hostNameTaken,
  hostSearchFilter,
  pageHosts,
  replaceMacs,
  selectHostById,
  selectHostsByIds,
  takenMacs,
} from './host-store.ts';
import { hostMacs, hosts } from './hosts-table.ts';
import { normalizeMac } from './mac-address.ts';
import { isUuid, uniqueViolation } from './sql-helpers.ts';

/** `10.0.0.5` for the IPv4-mapped `::ffff:10.0.0.5` a dual-stack socket reports; null when unusable. */
export function plainAddress(address: string | null): string | null {
  if (address === null || address.length === 0 || address.length > 64) return null;
  return address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}

export interface CreateHostInput {
  readonly name: string;
  readonly macs: readonly string[];
  readonly description?: string | null;
}

export interface UpdateHostInput {
  readonly id: string;
  readonly name?: string | null;
  readonly macs?: readonly string[] | null;
  readonly description?: string | null;
  readonly primaryDisk?: string | null;
  readonly primaryDiskSerial?: string | null;
}

export interface RegisterHostInput {
  readonly macs: readonly string[];
  /** Quick registration leaves it out: the host is named after its first MAC, as FOG does. */
  readonly name?: string | null;
  readonly systemUuid?: string | null;
}

/** Maps a lost uniqueness race to the same typed error the pre-check gives. */
function rethrowUnique(err: unknown, name: string, macs: readonly string[]): never {
  const constraint = uniqueViolation(err);
  if (constraint === 'hosts_name_lower_key') throw new DuplicateHostNameError(name);
  if (constraint?.startsWith('host_macs')) throw new DuplicateMacError(macs[0] ?? '');
  throw err;
}

async function assertFree(db: Executor, name: string | undefined, macs: readonly string[], hostId?: string) {
  if (name !== undefined && (await hostNameTaken(db, name, hostId))) throw new DuplicateHostNameError(name);
  const taken = await takenMacs(db, macs, hostId);
  if (taken[0] !== undefined) throw new DuplicateMacError(taken[0]);
}

export function createHostsService(deps: ServiceDeps) {
  const { db, pubsub, now } = deps;
  /** Told of each host registered from the boot menu, once committed (webhooks); never throws. */
  const registeredListeners: ((host: HostRecord) => void)[] = [];
  const publish = (kind: HostEventKind, host: HostRecord) => {
    pubsub.publish('hostEvents', { kind, host });
    if (kind === 'REGISTERED') for (const listener of registeredListeners) listener(host);
  };

  async function insertHost(
    fields: { name: string; description: string; pending: boolean; systemUuid: string | null },
    macs: string[],
  ): Promise<HostRecord> {
    try {
      return await db.transaction(async (tx) => {
        await assertFree(tx, fields.name, macs);
        const [row] = await tx.insert(hosts).values(fields).returning({ id: hosts.id });
        await replaceMacs(tx, row!.id, macs);
        return (await selectHostById(tx, row!.id))!;
      });
    } catch (err) {
      rethrowUnique(err, fields.name, macs);
    }
  }

  async function mustGet(db: Executor, id: string): Promise<HostRecord> {
    const host = await selectHostById(db, id);
    if (!host) throw new HostNotFoundError(id);
    return host;
  }

  return {
    inventory: createHostInventoryService(deps),
    onRegistered(listener: (host: HostRecord) => void): void {
      registeredListeners.push(listener);
    },

    /** The approved hosts as the CSV file importHosts takes (host-export.ts). */
    exportHostsCsv: () => exportHostsCsv(db),

    /** FOG's Import Hosts (host-import.ts): all rows or none; each made host is announced. */
    async importHosts(csv: string, dryRun: boolean): Promise<HostImportResult> {
      const result = await importHosts(db, csv, dryRun);
      for (const host of result.hosts) publish('CREATED', host);
      return result;
    },

    async createHost(input: CreateHostInput): Promise<HostRecord> {
      const name = checkHostName(input.name);
      const description = checkDescription(input.description ?? '');
      const macs = normalizeMacList(input.macs);
      const host = await insertHost({ name, description, pending: false, systemUuid: null }, macs);
      publish('CREATED', host);
      return host;
    },

    async updateHost(input: UpdateHostInput): Promise<HostRecord> {
      const name = input.name == null ? undefined : checkHostName(input.name);
      const description = input.description == null ? undefined : checkDescription(input.description);
      const macs = input.macs == null ? undefined : normalizeMacList(input.macs);
      const primaryDisk =
        input.primaryDisk === undefined ? undefined : checkShortText(input.primaryDisk, 'primaryDisk');
      const primaryDiskSerial =
        input.primaryDiskSerial === undefined
          ? undefined
          : checkShortText(input.primaryDiskSerial, 'primaryDiskSerial');
      try {
        const host = await db.transaction(async (tx) => {
          await mustGet(tx, input.id);
          await assertFree(tx, name, macs ?? [], input.id);
          const set = { name, description, primaryDisk, primaryDiskSerial, updatedAt: now() };
          await tx.update(hosts).set(set).where(eq(hosts.id, input.id));
          if (macs) await replaceMacs(tx, input.id, macs);
          return mustGet(tx, input.id);
        });
        publish('UPDATED', host);
        return host;
      } catch (err) {
        rethrowUnique(err, input.name ?? '', macs ?? []);
      }
    },

    /** Refused while the host has an active task: its client would report into nothing. */
    async deleteHost(id: string): Promise<HostRecord> {
      const host = await db.transaction(async (tx) => {
        const found = await mustGet(tx, id);
        const [busy] = await tx
          .select({ id: tasks.id })
          .from(tasks)
          .where(and(eq(tasks.hostId, id), inArray(tasks.state, [...ACTIVE_TASK_STATES])))
          .limit(1);
        if (busy) throw new HostBusyError(id);
        await tx.delete(hosts).where(eq(hosts.id, id));
        return found;
      });
      publish('DELETED', host);
      return host;
    },

    async approveHost(id: string): Promise<HostRecord> {
      const host = await db.transaction(async (tx) => {
        await mustGet(tx, id);
        await tx.update(hosts).set({ pending: false, updatedAt: now() }).where(eq(hosts.id, id));
        return mustGet(tx, id);
      });
      publish('APPROVED', host);
      return host;
    },

    getHost: (id: string) => selectHostById(db, id),
    getHosts: (ids: readonly string[]) => selectHostsByIds(db, ids),
    countHosts: (search?: string | null) => countHosts(db, hostSearchFilter(search)),
    listHosts: (search: string | null | undefined, window: { offset: number; limit: number }) =>
      pageHosts(db, hostSearchFilter(search), window),

    /** The boot chain's look-up: any spelling of a MAC; a malformed one matches nothing. */
    async findHostByMac(mac: string): Promise<HostRecord | undefined> {
      const normalized = normalizeMac(mac);
      if (!normalized) return undefined;
      const [row] = await db
        .select({ hostId: hostMacs.hostId })
        .from(hostMacs)
        .where(eq(hostMacs.mac, normalized));
      return row ? selectHostById(db, row.hostId) : undefined;
    },

    /** Boot-menu registration: pending until an operator approves it, as in FOG. */
    async registerHost(input: RegisterHostInput): Promise<HostRecord> {
      const macs = normalizeMacList(input.macs);
      const name = checkHostName(input.name ?? macs[0]!.replaceAll(':', ''));
      const systemUuid = input.systemUuid && isUuid(input.systemUuid) ? input.systemUuid.toLowerCase() : null;
      const host = await insertHost({ name, description: '', pending: true, systemUuid }, macs);
      publish('REGISTERED', host);
      return host;
    },

    /**
     * Hosts online but not heard from since `before` go offline (one OFFLINE event each). A host
     * running a task stays online: its client talks to the data plane, not to check-in.
     */
    async markSilentOffline(before: Date): Promise<number> {
      const working = db
        .select({ one: sql`1` })
        .from(tasks)
        .where(and(eq(tasks.hostId, hosts.id), inArray(tasks.state, ['CHECKED_IN', 'IN_PROGRESS'])));
      const gone = await db
        .update(hosts)
        .set({ online: false })
        .where(
          and(
            eq(hosts.online, true),
            or(isNull(hosts.lastSeenAt), lt(hosts.lastSeenAt, before)),
            notExists(working),
          ),
        )
        .returning({ id: hosts.id });
      for (const host of await selectHostsByIds(
        db,
        gone.map((g) => g.id),
      ))
        publish('OFFLINE', host);
      return gone.length;
    },

    /** Called on every contact from the host (boot request, client check-in), with its address. */
    async touchLastSeen(id: string, at: Date = now(), address: string | null = null): Promise<void> {
      const [before] = await db.select({ online: hosts.online }).from(hosts).where(eq(hosts.id, id));
      const lastAddress = plainAddress(address) ?? undefined;
      await db.update(hosts).set({ lastSeenAt: at, online: true, lastAddress }).where(eq(hosts.id, id));
      if (before && !before.online) {
        const host = await selectHostById(db, id);
        if (host) publish('ONLINE', host);
      }
    },
  };
}

export type HostsService = ReturnType<typeof createHostsService>;
