/**
 * The hosts as the CSV file `importHosts` takes (host-import.ts): a round trip moves a lab to
 * another server, and a spreadsheet opens it. A description that a spreadsheet would run as a
 * formula (= + - @ first) is written behind a `'`, which the import takes off again.
 */
import { asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { groupMembers, groups } from '../groups/groups-table.ts';
import { selectHosts } from './host-store.ts';
import { hosts } from './hosts-table.ts';

const FORMULA_START = /^[=+\-@\t\r]/;

/** RFC 4180 quoting: only where a field needs it. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export const defuseFormula = (text: string): string => (FORMULA_START.test(text) ? `'${text}` : text);

/** The import's reading of a field the export wrote through `defuseFormula`. */
export const restoreFormula = (text: string): string => (/^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text);

export async function exportHostsCsv(db: Database): Promise<string> {
  const all = await selectHosts(db, eq(hosts.pending, false));
  all.sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  const memberships = await db
    .select({ hostId: groupMembers.hostId, name: groups.name })
    .from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .orderBy(asc(sql`lower(${groups.name})`));
  const groupsOf = new Map<string, string[]>();
  for (const m of memberships) groupsOf.set(m.hostId, [...(groupsOf.get(m.hostId) ?? []), m.name]);
  const lines = ['mac,name,description,groups'];
  for (const h of all) {
    const fields = [
      h.macs.join('|'),
      h.name,
      defuseFormula(h.description),
      (groupsOf.get(h.id) ?? []).join(';'),
    ];
    lines.push(fields.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
