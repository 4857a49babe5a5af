/**
 * The session rows as the service reads and inserts them. Kept apart from the service so the
 * name rules (one open session per name, case-insensitive) and the read queries sit in one
 * place, and the service keeps only what moves a session along.
 */

import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/database.ts';
import { rowsByIds } from '../db/rows-by-ids.ts';
import { uniqueViolation } from '../hosts/sql-helpers.ts';
import { ImageDisabledError, ImageHasNoVersionError, ImageNotFoundError } from '../images/image-errors.ts';
import { lockImage, selectCurrentVersion } from '../images/image-store.ts';
import {
  DuplicateSessionNameError,
  MulticastSessionFinishedError,
  MulticastSessionNotFoundError,
} from './multicast-errors.ts';
import { OPEN_SESSION_STATES } from './multicast-states.ts';
import { type MulticastSessionRow, multicastReceivers, multicastSessions } from './multicast-table.ts';

/** The image must be enabled and have a current version: the session pins that version. */
export async function imageVersionFor(db: Executor, imageId: string) {
  const image = await lockImage(db, imageId, 'share');
  if (!image) throw new ImageNotFoundError(imageId);
  if (!image.enabled) throw new ImageDisabledError(imageId);
  const version = await selectCurrentVersion(db, imageId);
  if (!version) throw new ImageHasNoVersionError(imageId);
  return { image, version };
}

export async function insertSession(db: Executor, values: typeof multicastSessions.$inferInsert) {
  const open = and(
    sql`lower(${multicastSessions.name}) = lower(${values.name})`,
    inArray(multicastSessions.state, [...OPEN_SESSION_STATES]),
  );
  const [taken] = await db.select({ id: multicastSessions.id }).from(multicastSessions).where(open);
  if (taken) throw new DuplicateSessionNameError(values.name);
  const [row] = await db.insert(multicastSessions).values(values).returning();
  return row!;
}

/** Two inserts racing past the check above meet the open-name index: the same typed error. */
export function rethrowUnique(err: unknown, name: string): never {
  if (uniqueViolation(err) === 'multicast_sessions_open_name_key') throw new DuplicateSessionNameError(name);
  throw err;
}

/** The open session of that name, else the newest finished one (its state is the refusal). */
export async function sessionByName(db: Executor, name: string): Promise<MulticastSessionRow> {
  const [row] = await db
    .select()
    .from(multicastSessions)
    .where(sql`lower(${multicastSessions.name}) = lower(${name})`)
    .orderBy(
      sql`case when ${multicastSessions.state} in ('WAITING', 'RUNNING') then 0 else 1 end`,
      desc(multicastSessions.createdAt),
    )
    .limit(1)
    .for('update');
  if (!row) throw new MulticastSessionNotFoundError(name);
  if (!OPEN_SESSION_STATES.includes(row.state)) throw new MulticastSessionFinishedError(row.state);
  return row;
}

export async function sessionById(ex: Executor, id: string): Promise<MulticastSessionRow> {
  const [row] = await ex.select().from(multicastSessions).where(eq(multicastSessions.id, id));
  if (!row) throw new MulticastSessionNotFoundError(id);
  return row;
}

/** What the GraphQL layer reads: sessions by id, a page of them, a session's receivers. */
export function sessionQueries(db: Database) {
  return {
    getSession: async (id: string) =>
      (await db.select().from(multicastSessions).where(eq(multicastSessions.id, id)))[0],
    getSessions: (ids: readonly string[]) => rowsByIds(db, multicastSessions, multicastSessions.id, ids),
    countSessions: async () => (await db.select({ n: count() }).from(multicastSessions))[0]?.n ?? 0,
    listSessions: (window: { offset: number; limit: number }) =>
      db
        .select()
        .from(multicastSessions)
        .orderBy(desc(multicastSessions.createdAt), asc(multicastSessions.id))
        .offset(window.offset)
        .limit(window.limit),
    receiversOf: (sessionId: string) =>
      db
        .select()
        .from(multicastReceivers)
        .where(eq(multicastReceivers.sessionId, sessionId))
        .orderBy(asc(multicastReceivers.hostId)),
  };
}
