import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { Executor } from '../db/database.ts';
import { rowsByIds } from '../db/rows-by-ids.ts';
import { InputValidationError } from '../graphql/input-validation-error.ts';
import { HostNotFoundError } from '../hosts/host-errors.ts';
import { checkDescription } from '../hosts/host-input-rules.ts';
import { type HostRecord, selectHosts } from '../hosts/host-store.ts';
import { hosts } from '../hosts/hosts-table.ts';
import { uniqueViolation } from '../hosts/sql-helpers.ts';
import { DuplicateGroupNameError, GroupNotFoundError, InvalidGroupNameError } from './group-errors.ts';
import { isValidGroupName } from './group-rules.ts';
import { type GroupRow, groupMembers, groups } from './groups-table.ts';

const MAX_HOSTS_PER_CALL = 1000;

function checkName(name: string): string {
  if (!isValidGroupName(name)) throw new InvalidGroupNameError(name);
  return name;
}

function rethrowUnique(err: unknown, name: string): never {
  if (uniqueViolation(err) === 'groups_name_lower_key') throw new DuplicateGroupNameError(name);
  throw err;
}

async function mustGet(db: Executor, id: string): Promise<GroupRow> {
  const [row] = await db.select().from(groups).where(eq(groups.id, id));
  if (!row) throw new GroupNotFoundError(id);
  return row;
}

async function nameTaken(db: Executor, name: string, exceptId?: string): Promise<boolean> {
  const same = sql`lower(${groups.name}) = lower(${name})`;
  const [row] = await db
    .select({ n: count() })
    .from(groups)
    .where(exceptId ? and(same, sql`${groups.id} <> ${exceptId}`) : same);
  return (row?.n ?? 0) > 0;
}

async function assertHostsExist(db: Executor, hostIds: readonly string[]): Promise<void> {
  const rows = await db
    .select({ id: hosts.id })
    .from(hosts)
    .where(inArray(hosts.id, [...hostIds]));
  const found = new Set(rows.map((r) => r.id));
  const missing = hostIds.find((id) => !found.has(id));
  if (missing !== undefined) throw new HostNotFoundError(missing);
}

function checkHostIds(hostIds: readonly string[]): string[] {
  const unique = [...new Set(hostIds)];
  if (unique.length === 0 || unique.length > MAX_HOSTS_PER_CALL) {
    throw new InputValidationError([
      { path: ['input', 'hostIds'], message: `between 1 and ${MAX_HOSTS_PER_CALL} hosts` },
    ]);
  }
  return unique;
}

export function createGroupsService({ db, now }: ServiceDeps) {
  return {
    async createGroup(input: { name: string; description?: string | null }): Promise<GroupRow> {
      const name = checkName(input.name);
      const description = checkDescription(input.description ?? '');
      try {
        return await db.transaction(async (tx) => {
          if (await nameTaken(tx, name)) throw new DuplicateGroupNameError(name);
          const [row] = await tx.insert(groups).values({ name, description }).returning();
          return row!;
        });
      } catch (err) {
        rethrowUnique(err, name);
      }
    },

    async updateGroup(input: {
      id: string;
      name?: string | null;
      description?: string | null;
    }): Promise<GroupRow> {
      const name = input.name == null ? undefined : checkName(input.name);
      const description = input.description == null ? undefined : checkDescription(input.description);
      try {
        return await db.transaction(async (tx) => {
          await mustGet(tx, input.id);
          if (name !== undefined && (await nameTaken(tx, name, input.id)))
            throw new DuplicateGroupNameError(name);
          await tx.update(groups).set({ name, description, updatedAt: now() }).where(eq(groups.id, input.id));
          return mustGet(tx, input.id);
        });
      } catch (err) {
        rethrowUnique(err, name ?? '');
      }
    },

    /** Deletes the group only; its hosts stay. */
    deleteGroup: (id: string) =>
      db.transaction(async (tx) => {
        const group = await mustGet(tx, id);
        await tx.delete(groups).where(eq(groups.id, id));
        return group;
      }),

    /** Idempotent: hosts already in the group stay once. All hosts must exist, or nothing changes. */
    addHostsToGroup: (groupId: string, hostIds: readonly string[]) =>
      db.transaction(async (tx) => {
        const ids = checkHostIds(hostIds);
        const group = await mustGet(tx, groupId);
        await assertHostsExist(tx, ids);
        await tx
          .insert(groupMembers)
          .values(ids.map((hostId) => ({ groupId, hostId })))
          .onConflictDoNothing();
        return group;
      }),

    removeHostsFromGroup: (groupId: string, hostIds: readonly string[]) =>
      db.transaction(async (tx) => {
        const ids = checkHostIds(hostIds);
        const group = await mustGet(tx, groupId);
        await tx
          .delete(groupMembers)
          .where(and(eq(groupMembers.groupId, groupId), inArray(groupMembers.hostId, ids)));
        return group;
      }),

    getGroup: async (id: string) => (await db.select().from(groups).where(eq(groups.id, id)))[0],
    getGroups: (ids: readonly string[]) => rowsByIds(db, groups, groups.id, ids),
    countGroups: async () => (await db.select({ n: count() }).from(groups))[0]?.n ?? 0,
    listGroups: (window: { offset: number; limit: number }) =>
      db
        .select()
        .from(groups)
        .orderBy(asc(sql`lower(${groups.name})`), asc(groups.id))
        .offset(window.offset)
        .limit(window.limit),

    hostsOfGroup: (groupId: string): Promise<HostRecord[]> =>
      selectHosts(
        db,
        sql`${hosts.id} in (select ${groupMembers.hostId} from ${groupMembers} where ${groupMembers.groupId} = ${groupId})`,
      ),

    groupsOfHost: (hostId: string): Promise<GroupRow[]> =>
      db
        .select()
        .from(groups)
        .where(
          sql`${groups.id} in (select ${groupMembers.groupId} from ${groupMembers} where ${groupMembers.hostId} = ${hostId})`,
        )
        .orderBy(asc(groups.name)),
  };
}

export type GroupsService = ReturnType<typeof createGroupsService>;
