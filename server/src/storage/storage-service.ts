import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import type { Executor } from '../db/database.ts';
import { rowsByIds } from '../db/rows-by-ids.ts';
import { InputValidationError } from '../graphql/input-validation-error.ts';
import { uniqueViolation } from '../hosts/sql-helpers.ts';
import {
  DuplicateStorageNodeNameError,
  InvalidStorageNodeNameError,
  InvalidStorageUrlError,
  StorageNodeNotFoundError,
} from './storage-errors.ts';
import { isValidMaxClients, isValidStorageNodeName, parseStorageUrl } from './storage-rules.ts';
import { type StorageNodeRow, type StorageRole, storageNodes } from './storage-table.ts';
import { createStoreGc } from './store-gc.ts';
import { readStoreStats, type StoreStats } from './store-stats.ts';

export interface StorageNodeInput {
  readonly name: string;
  readonly url: string;
  readonly role?: StorageRole | null;
  readonly enabled?: boolean | null;
  readonly maxClients?: number | null;
  /** The replica's API token for this server (write-only); empty clears it. */
  readonly replicationToken?: string | null;
}

export interface UpdateStorageNodeInput {
  readonly id: string;
  readonly name?: string | null;
  readonly url?: string | null;
  readonly role?: StorageRole | null;
  readonly enabled?: boolean | null;
  readonly maxClients?: number | null;
  readonly replicationToken?: string | null;
}

/** A bearer token as an HTTP header carries it: printable, no spaces; '' clears (null). */
function checkToken(token: string | null | undefined): string | null | undefined {
  if (token == null) return undefined;
  if (token === '') return null;
  if (!/^[\x21-\x7e]{8,512}$/.test(token)) {
    throw new InputValidationError([
      {
        path: ['input', 'replicationToken'],
        message: '8-512 printable characters without spaces, or empty to clear',
      },
    ]);
  }
  return token;
}

function checkFields(input: Omit<UpdateStorageNodeInput, 'id'>) {
  if (input.name != null && !isValidStorageNodeName(input.name))
    throw new InvalidStorageNodeNameError(input.name);
  const url = input.url == null ? undefined : parseStorageUrl(input.url);
  if (input.url != null && url === undefined) throw new InvalidStorageUrlError(input.url);
  if (input.maxClients != null && !isValidMaxClients(input.maxClients)) {
    throw new InputValidationError([{ path: ['input', 'maxClients'], message: 'between 1 and 1000' }]);
  }
  return {
    name: input.name ?? undefined,
    url,
    role: input.role ?? undefined,
    enabled: input.enabled ?? undefined,
    maxClients: input.maxClients ?? undefined,
    replicationToken: checkToken(input.replicationToken),
  };
}

function rethrowUnique(err: unknown, name: string): never {
  if (uniqueViolation(err) === 'storage_nodes_name_lower_key') throw new DuplicateStorageNodeNameError(name);
  throw err;
}

async function assertNameFree(db: Executor, name: string | undefined, exceptId?: string): Promise<void> {
  if (name === undefined) return;
  const same = sql`lower(${storageNodes.name}) = lower(${name})`;
  const [row] = await db
    .select({ n: count() })
    .from(storageNodes)
    .where(exceptId ? and(same, sql`${storageNodes.id} <> ${exceptId}`) : same);
  if ((row?.n ?? 0) > 0) throw new DuplicateStorageNodeNameError(name);
}

async function mustGet(db: Executor, id: string): Promise<StorageNodeRow> {
  const [row] = await db.select().from(storageNodes).where(eq(storageNodes.id, id));
  if (!row) throw new StorageNodeNotFoundError(id);
  return row;
}

export function createStorageService({ db, now, config, log }: ServiceDeps) {
  // Every open console asks again after each image event: requests that arrive while the store
  // is being walked share that walk (a large store's takes seconds) instead of starting their own.
  let statsInFlight: Promise<StoreStats> | null = null;
  return {
    /** Room on the store's filesystem, chunk files, and deduplication savings (dashboard). */
    storeStats: (): Promise<StoreStats> =>
      (statsInFlight ??= readStoreStats(db, config.core.imagesDir).finally(() => {
        statsInFlight = null;
      })),
    /** Chunks and manifests of deleted versions back to free space (store-gc.ts). */
    gc: createStoreGc({ db, imagesDir: config.core.imagesDir, log }),
    async createStorageNode(input: StorageNodeInput): Promise<StorageNodeRow> {
      const fields = checkFields(input);
      try {
        return await db.transaction(async (tx) => {
          await assertNameFree(tx, fields.name);
          const [row] = await tx
            .insert(storageNodes)
            .values({ ...fields, name: fields.name!, url: fields.url! })
            .returning();
          return row!;
        });
      } catch (err) {
        rethrowUnique(err, input.name);
      }
    },

    async updateStorageNode(input: UpdateStorageNodeInput): Promise<StorageNodeRow> {
      const fields = checkFields(input);
      try {
        return await db.transaction(async (tx) => {
          await mustGet(tx, input.id);
          await assertNameFree(tx, fields.name, input.id);
          await tx
            .update(storageNodes)
            .set({ ...fields, updatedAt: now() })
            .where(eq(storageNodes.id, input.id));
          return mustGet(tx, input.id);
        });
      } catch (err) {
        rethrowUnique(err, input.name ?? '');
      }
    },

    deleteStorageNode: (id: string) =>
      db.transaction(async (tx) => {
        const node = await mustGet(tx, id);
        await tx.delete(storageNodes).where(eq(storageNodes.id, id));
        return node;
      }),

    touchStorageNode: async (id: string) => {
      await db.update(storageNodes).set({ lastSeenAt: now() }).where(eq(storageNodes.id, id));
    },

    getStorageNode: async (id: string) =>
      (await db.select().from(storageNodes).where(eq(storageNodes.id, id)))[0],
    getStorageNodes: (ids: readonly string[]) => rowsByIds(db, storageNodes, storageNodes.id, ids),
    countStorageNodes: async () => (await db.select({ n: count() }).from(storageNodes))[0]?.n ?? 0,
    listStorageNodes: (window: { offset: number; limit: number }) =>
      db
        .select()
        .from(storageNodes)
        .orderBy(asc(sql`lower(${storageNodes.name})`), asc(storageNodes.id))
        .offset(window.offset)
        .limit(window.limit),
  };
}

export type StorageService = ReturnType<typeof createStorageService>;
