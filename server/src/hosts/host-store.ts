import { and, asc, count, eq, ilike, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.ts';
import { type HostRow, hostMacs, hosts } from './hosts-table.ts';
import { likePattern, onlyUuids } from './sql-helpers.ts';

/** A host as the API shows it: its row plus its MACs, primary first. */
export type HostRecord = HostRow & { macs: string[] };

const macsOfHost = sql<
  string[]
>`coalesce((select json_agg(${hostMacs.mac} order by ${hostMacs.position}, ${hostMacs.mac}) from ${hostMacs} where ${hostMacs.hostId} = ${hosts.id}), '[]'::json)`;

const hostSelection = {
  id: hosts.id,
  name: hosts.name,
  description: hosts.description,
  systemUuid: hosts.systemUuid,
  pending: hosts.pending,
  primaryDisk: hosts.primaryDisk,
  primaryDiskSerial: hosts.primaryDiskSerial,
  lastSeenAt: hosts.lastSeenAt,
  lastAddress: hosts.lastAddress,
  online: hosts.online,
  createdAt: hosts.createdAt,
  updatedAt: hosts.updatedAt,
  macs: macsOfHost,
};

function toRecord(row: HostRecord): HostRecord {
  // json_agg arrives parsed by both drivers; a string means a driver left json as text.
  return { ...row, macs: typeof row.macs === 'string' ? JSON.parse(row.macs) : row.macs };
}

export async function selectHosts(db: Executor, where: SQL | undefined): Promise<HostRecord[]> {
  const rows = await db.select(hostSelection).from(hosts).where(where).orderBy(asc(hosts.name));
  return rows.map(toRecord);
}

export async function selectHostById(db: Executor, id: string): Promise<HostRecord | undefined> {
  return (await selectHosts(db, eq(hosts.id, id)))[0];
}

export async function selectHostsByIds(db: Executor, ids: readonly string[]): Promise<HostRecord[]> {
  const valid = onlyUuids(ids);
  if (valid.length === 0) return [];
  return selectHosts(db, inArray(hosts.id, valid));
}

/** Name, description or MAC contains the search text (case-insensitive, taken literally). */
export function hostSearchFilter(search: string | null | undefined): SQL | undefined {
  if (!search) return undefined;
  const pattern = likePattern(search);
  const macMatch = sql`exists (select 1 from ${hostMacs} where ${hostMacs.hostId} = ${hosts.id} and ${hostMacs.mac} ilike ${pattern})`;
  return or(ilike(hosts.name, pattern), ilike(hosts.description, pattern), macMatch);
}

export async function pageHosts(
  db: Executor,
  filter: SQL | undefined,
  window: { offset: number; limit: number },
): Promise<HostRecord[]> {
  const rows = await db
    .select(hostSelection)
    .from(hosts)
    .where(filter)
    .orderBy(asc(sql`lower(${hosts.name})`), asc(hosts.id))
    .offset(window.offset)
    .limit(window.limit);
  return rows.map(toRecord);
}

export async function countHosts(db: Executor, filter: SQL | undefined): Promise<number> {
  const [row] = await db.select({ n: count() }).from(hosts).where(filter);
  return row?.n ?? 0;
}

/** Which of these MACs already belong to a host other than `exceptHostId`. */
export async function takenMacs(
  db: Executor,
  macs: readonly string[],
  exceptHostId?: string,
): Promise<string[]> {
  if (macs.length === 0) return [];
  const where = exceptHostId
    ? and(inArray(hostMacs.mac, [...macs]), sql`${hostMacs.hostId} <> ${exceptHostId}`)
    : inArray(hostMacs.mac, [...macs]);
  const rows = await db.select({ mac: hostMacs.mac }).from(hostMacs).where(where);
  return rows.map((r) => r.mac);
}

export async function hostNameTaken(db: Executor, name: string, exceptHostId?: string): Promise<boolean> {
  const sameName = sql`lower(${hosts.name}) = lower(${name})`;
  const where = exceptHostId ? and(sameName, sql`${hosts.id} <> ${exceptHostId}`) : sameName;
  const [row] = await db.select({ n: count() }).from(hosts).where(where);
  return (row?.n ?? 0) > 0;
}

export async function replaceMacs(db: Executor, hostId: string, macs: readonly string[]): Promise<void> {
  await db.delete(hostMacs).where(eq(hostMacs.hostId, hostId));
  if (macs.length > 0) {
    await db.insert(hostMacs).values(macs.map((mac, position) => ({ mac, hostId, position })));
  }
}
