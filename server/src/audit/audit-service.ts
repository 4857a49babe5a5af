import { and, count, desc, eq, inArray, type SQL } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { PageWindow } from '../graphql/connections.ts';
import { type AuditEntryRow, auditEntries } from './audit-table.ts';

export interface AuditRecord {
  readonly actorUserId: string | null;
  readonly actorTokenId: string | null;
  readonly actorName: string;
  readonly action: string;
  readonly targetIds: readonly string[];
  readonly input: unknown;
  readonly allowed: boolean;
  readonly outcome: string;
  readonly clientAddress: string | null;
  readonly requestId: string | null;
}

export interface AuditFilter {
  readonly action?: string | null;
  readonly actorUserId?: string | null;
  readonly allowed?: boolean | null;
}

function where(filter: AuditFilter): SQL | undefined {
  const parts: SQL[] = [];
  if (filter.action) parts.push(eq(auditEntries.action, filter.action));
  if (filter.actorUserId) parts.push(eq(auditEntries.actorUserId, filter.actorUserId));
  if (filter.allowed != null) parts.push(eq(auditEntries.allowed, filter.allowed));
  return parts.length > 0 ? and(...parts) : undefined;
}

declare module '../graphql/pubsub.ts' {
  interface PubSubTopics {
    auditEntries: AuditEntryRow;
  }
}

export function createAuditService({ db, log, pubsub }: ServiceDeps) {
  return {
    /** Appends one entry. A failed append is logged, never hidden: the caller decides to rethrow. */
    async append(record: AuditRecord): Promise<void> {
      try {
        const [row] = await db
          .insert(auditEntries)
          .values({ ...record, targetIds: [...record.targetIds] })
          .returning();
        pubsub.publish('auditEntries', row!);
      } catch (err) {
        log.error({ err, action: record.action }, 'audit append failed');
        throw err;
      }
    },
    async count(filter: AuditFilter = {}): Promise<number> {
      const [row] = await db.select({ n: count() }).from(auditEntries).where(where(filter));
      return row?.n ?? 0;
    },
    /** Newest first. */
    list(filter: AuditFilter, window: PageWindow): Promise<AuditEntryRow[]> {
      return db
        .select()
        .from(auditEntries)
        .where(where(filter))
        .orderBy(desc(auditEntries.id))
        .offset(window.offset)
        .limit(window.limit);
    },
    async byIds(ids: readonly number[]): Promise<AuditEntryRow[]> {
      if (ids.length === 0) return [];
      return db
        .select()
        .from(auditEntries)
        .where(inArray(auditEntries.id, [...ids]));
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
