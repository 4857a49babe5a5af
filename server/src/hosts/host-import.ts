/**
 * FOG's "Import Hosts": a lab's machines from a CSV file, all or nothing. Every row is checked
 * (names, MACs, groups, duplicates in the file and against the hosts already here) before
 * anything is written, and every problem is reported with its line, so one fix-and-retry cycle
 * does. Parsing is csv-parse's: quotes, embedded commas and newlines, a BOM, CRLF.
 */
import { randomUUID } from 'node:crypto';
import { CsvError, parse } from 'csv-parse/sync';
import { inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { BrumeError } from '../graphql/brume-error.ts';
import { groupMembers, groups } from '../groups/groups-table.ts';
import { restoreFormula } from './host-export.ts';
import { checkDescription, checkHostName, normalizeMacList } from './host-input-rules.ts';
import { type HostRecord, selectHostsByIds } from './host-store.ts';
import { hostMacs, hosts } from './hosts-table.ts';

export const HOST_IMPORT_COLUMNS = ['mac', 'name', 'description', 'groups'] as const;
const REQUIRED = ['mac', 'name'];
export const MAX_IMPORT_BYTES = 1024 * 1024;
export const MAX_IMPORT_ROWS = 5000;
const MAX_PROBLEMS = 100;

export interface HostImportProblem {
  /** The line of the file (1 is the header). */
  readonly line: number;
  readonly message: string;
}

export class HostImportError extends BrumeError {
  readonly code = 'HOST_IMPORT_INVALID';
  readonly problems: readonly HostImportProblem[];
  constructor(problems: readonly HostImportProblem[]) {
    const more = problems.length >= MAX_PROBLEMS ? ` (the first ${MAX_PROBLEMS})` : '';
    super(
      `The file has ${problems.length} problem${problems.length === 1 ? '' : 's'}${more}: nothing was imported`,
    );
    this.problems = problems;
  }
}

interface Row {
  readonly line: number;
  readonly id: string;
  readonly name: string;
  readonly macs: string[];
  readonly description: string;
  readonly groupIds: string[];
}

type Record_ = Partial<Record<(typeof HOST_IMPORT_COLUMNS)[number], string>>;

function parseCsv(csv: string, problems: HostImportProblem[]): { line: number; record: Record_ }[] {
  if (Buffer.byteLength(csv) > MAX_IMPORT_BYTES) {
    problems.push({ line: 0, message: `the file is over ${MAX_IMPORT_BYTES} bytes` });
    return [];
  }
  try {
    const rows = parse(csv, {
      bom: true,
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim().toLowerCase());
        const unknown = names.filter((n) => !(HOST_IMPORT_COLUMNS as readonly string[]).includes(n));
        const missing = REQUIRED.filter((n) => !names.includes(n));
        if (unknown.length > 0 || missing.length > 0) {
          const says = [
            ...unknown.map((n) => `unknown column "${n.slice(0, 40)}"`),
            ...missing.map((n) => `no "${n}" column`),
          ];
          throw new HeaderError(`${says.join(', ')}; the columns are ${HOST_IMPORT_COLUMNS.join(', ')}`);
        }
        return names;
      },
      info: true,
      skip_empty_lines: true,
      trim: true,
    }) as { info: { lines: number }; record: Record_ }[];
    if (rows.length > MAX_IMPORT_ROWS) {
      problems.push({ line: 0, message: `${rows.length} hosts: at most ${MAX_IMPORT_ROWS} per file` });
      return [];
    }
    return rows.map((r) => ({ line: r.info.lines, record: r.record }));
  } catch (err) {
    if (err instanceof HeaderError) problems.push({ line: 1, message: err.message });
    else if (err instanceof CsvError)
      problems.push({ line: (err as { lines?: number }).lines ?? 0, message: err.message });
    else throw err;
    return [];
  }
}

class HeaderError extends Error {}

/** A row's own checks; problems are pushed, the row comes back only when it is whole. */
function checkRow(
  line: number,
  record: Record_,
  groupIdOf: Map<string, string>,
  problems: HostImportProblem[],
): Row | null {
  const before = problems.length;
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      if (!(err instanceof BrumeError)) throw err;
      problems.push({ line, message: err.message });
      return undefined;
    }
  };
  const name = attempt(() => checkHostName(record.name ?? ''));
  // One or more MACs: `|`, `;` or spaces between them.
  const macs = attempt(() => normalizeMacList((record.mac ?? '').split(/[|;\s]+/).filter(Boolean)));
  const description = attempt(() => checkDescription(restoreFormula(record.description ?? '')));
  const groupIds: string[] = [];
  for (const group of (record.groups ?? '')
    .split(';')
    .map((g) => g.trim())
    .filter(Boolean)) {
    const id = groupIdOf.get(group.toLowerCase());
    if (id) groupIds.push(id);
    else problems.push({ line, message: `no group named "${group.slice(0, 64)}" (create it first)` });
  }
  if (problems.length > before || !name || !macs || description === undefined) return null;
  return { line, id: randomUUID(), name, macs, description, groupIds: [...new Set(groupIds)] };
}

/** Names and MACs used twice in the file, or by a host already here. */
async function checkClashes(db: Database, rows: readonly Row[], problems: HostImportProblem[]) {
  const nameLine = new Map<string, number>();
  const macLine = new Map<string, number>();
  for (const row of rows) {
    const key = row.name.toLowerCase();
    const first = nameLine.get(key);
    if (first !== undefined)
      problems.push({ line: row.line, message: `name ${row.name} is also on line ${first}` });
    else nameLine.set(key, row.line);
    for (const mac of row.macs) {
      const seen = macLine.get(mac);
      if (seen !== undefined)
        problems.push({ line: row.line, message: `MAC ${mac} is also on line ${seen}` });
      else macLine.set(mac, row.line);
    }
  }
  if (rows.length === 0) return;
  const takenNames = await db
    .select({ name: hosts.name })
    .from(hosts)
    .where(inArray(sql`lower(${hosts.name})`, [...nameLine.keys()]));
  for (const { name } of takenNames) {
    problems.push({
      line: nameLine.get(name.toLowerCase()) ?? 0,
      message: `a host named ${name} already exists`,
    });
  }
  const takenMacs = await db
    .select({ mac: hostMacs.mac, host: hosts.name })
    .from(hostMacs)
    .innerJoin(hosts, sql`${hosts.id} = ${hostMacs.hostId}`)
    .where(inArray(hostMacs.mac, [...macLine.keys()]));
  for (const { mac, host } of takenMacs) {
    problems.push({ line: macLine.get(mac) ?? 0, message: `MAC ${mac} already belongs to host ${host}` });
  }
}

export interface HostImportResult {
  readonly dryRun: boolean;
  /** The hosts made (none on a dry run), in the file's order. */
  readonly hosts: readonly HostRecord[];
  /** The hosts the file holds (what a dry run would make). */
  readonly rows: number;
}

export async function importHosts(db: Database, csv: string, dryRun: boolean): Promise<HostImportResult> {
  const problems: HostImportProblem[] = [];
  const parsed = parseCsv(csv, problems);
  const known = await db.select({ id: groups.id, name: groups.name }).from(groups);
  const groupIdOf = new Map(known.map((g) => [g.name.toLowerCase(), g.id]));
  const rows = parsed
    .map(({ line, record }) => checkRow(line, record, groupIdOf, problems))
    .filter((r): r is Row => r !== null);
  await checkClashes(db, rows, problems);
  if (parsed.length === 0 && problems.length === 0)
    problems.push({ line: 1, message: 'no host in the file' });
  if (problems.length > 0) {
    throw new HostImportError([...problems].sort((a, b) => a.line - b.line).slice(0, MAX_PROBLEMS));
  }
  if (dryRun) return { dryRun, hosts: [], rows: rows.length };
  // One transaction; the unique indexes still refuse a name or MAC taken meanwhile.
  await db.transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += 500) {
      const part = rows.slice(i, i + 500);
      await tx.insert(hosts).values(
        part.map((r) => ({
          id: r.id,
          name: r.name,
          description: r.description,
          pending: false,
          systemUuid: null,
        })),
      );
      await tx
        .insert(hostMacs)
        .values(part.flatMap((r) => r.macs.map((mac, position) => ({ mac, hostId: r.id, position }))));
      const members = part.flatMap((r) => r.groupIds.map((groupId) => ({ groupId, hostId: r.id })));
      if (members.length > 0) await tx.insert(groupMembers).values(members);
    }
  });
  const made = await selectHostsByIds(
    db,
    rows.map((r) => r.id),
  );
  const order = new Map(rows.map((r, i) => [r.id, i]));
  return {
    dryRun,
    hosts: made.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0)),
    rows: rows.length,
  };
}
