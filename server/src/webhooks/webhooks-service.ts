/**
 * Webhooks (WEBHOOKS.md): an event becomes one delivery row per webhook that wants it, and a
 * delivery loop sends due rows, signed, retrying on the configured waits. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED` and a lease on `next_attempt_at`, so servers sharing a database send
 * each once and a server that dies mid-attempt leaves the row to be tried again.
 */

import { randomUUID } from 'node:crypto';
import { and, arrayContains, asc, count, desc, eq, inArray, lte, min, ne, sql } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import { rowsByIds } from '../db/rows-by-ids.ts';
import { InputValidationError } from '../graphql/input-validation-error.ts';
import type { HostsService } from '../hosts/hosts-service.ts';
import { onlyUuids, uniqueViolation } from '../hosts/sql-helpers.ts';
import { isValidImageName } from '../images/image-name.ts';
import { boundedRun } from '../imaging/index.ts';
import type { TasksService } from '../tasks/tasks-service.ts';
import type { TaskRow } from '../tasks/tasks-table.ts';
import {
  DuplicateWebhookNameError,
  InvalidWebhookNameError,
  InvalidWebhookUrlError,
  WebhookDeliveryNotFoundError,
  WebhookNotFoundError,
} from './webhook-errors.ts';
import { SUBSCRIBABLE_EVENTS, TASK_STATE_EVENTS, type WebhookEvent } from './webhook-events.ts';
import {
  hostData,
  type ImageDamage,
  imageDamageData,
  type ReplicationFailure,
  replicationData,
  taskData,
} from './webhook-payloads.ts';
import { sendWebhook } from './webhook-sender.ts';
import { newWebhookSecret } from './webhook-signature.ts';
import { type WebhookDeliveryRow, type WebhookRow, webhookDeliveries, webhooks } from './webhooks-table.ts';

export interface WebhookInput {
  readonly name: string;
  readonly url: string;
  readonly events: readonly WebhookEvent[];
  readonly enabled?: boolean | null;
}

export interface UpdateWebhookInput {
  readonly id: string;
  readonly name?: string | null;
  readonly url?: string | null;
  readonly events?: readonly WebhookEvent[] | null;
  readonly enabled?: boolean | null;
}

/** An attempt's claim: another server leaves the row alone this long. */
const CLAIM_MS = 60_000;
const BATCH = 16;
const AT_ONCE = 4;
/** The loop looks again at least this often (rows written by another server). */
const IDLE_MS = 60_000;
const KEEP_MS = 30 * 86_400_000;

function checkUrl(input: string): string {
  let url: URL | undefined;
  try {
    url = input.length <= 2048 ? new URL(input) : undefined;
  } catch {
    url = undefined;
  }
  const ok =
    url !== undefined &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.hostname !== '' &&
    url.username === '' &&
    url.password === '' &&
    url.hash === '';
  if (!ok) throw new InvalidWebhookUrlError(input);
  return url!.toString();
}

function checkEvents(events: readonly WebhookEvent[]): WebhookEvent[] {
  const unique = [...new Set(events)];
  if (unique.length === 0 || unique.some((e) => !(SUBSCRIBABLE_EVENTS as readonly string[]).includes(e))) {
    throw new InputValidationError([
      { path: ['input', 'events'], message: `one or more of ${SUBSCRIBABLE_EVENTS.join(', ')}` },
    ]);
  }
  return unique;
}

function checkName(name: string): string {
  if (!isValidImageName(name)) throw new InvalidWebhookNameError();
  return name;
}

export function createWebhooksService(
  deps: ServiceDeps,
  others: { tasks: TasksService; hosts: HostsService },
) {
  const { db, now, config } = deps;
  const log = deps.log.child({ service: 'webhooks' });
  const delays = config.webhooks.retryDelaysMs;
  let timer: NodeJS.Timeout | null = null;
  let started = false;
  let draining: Promise<void> | null = null;
  let again = false;
  let lastCleanup = 0;

  async function mustGet(id: string): Promise<WebhookRow> {
    const [row] = onlyUuids([id]).length ? await db.select().from(webhooks).where(eq(webhooks.id, id)) : [];
    if (!row) throw new WebhookNotFoundError();
    return row;
  }

  function rethrowUnique(err: unknown, name: string): never {
    if (uniqueViolation(err) === 'webhooks_name_lower_key') throw new DuplicateWebhookNameError(name);
    throw err;
  }

  /** Writes one delivery per enabled webhook that wants `event` (or to `only`), then sends. */
  async function emit(event: WebhookEvent, data: () => Promise<Record<string, unknown>>, only?: string) {
    const targets = await db
      .select({ id: webhooks.id })
      .from(webhooks)
      .where(
        only
          ? eq(webhooks.id, only)
          : and(eq(webhooks.enabled, true), arrayContains(webhooks.events, [event])),
      );
    if (targets.length === 0) return [];
    const at = now();
    const body = await data();
    const rows = targets.map((t) => {
      const id = randomUUID();
      return {
        id,
        webhookId: t.id,
        event,
        payload: { id, event, occurredAt: at.toISOString(), data: body },
        nextAttemptAt: at,
        createdAt: at,
      };
    });
    const inserted = await db.insert(webhookDeliveries).values(rows).returning();
    kick();
    return inserted;
  }

  function emitSafely(event: WebhookEvent, data: () => Promise<Record<string, unknown>>) {
    void emit(event, data).catch((err: unknown) => log.error({ err, event }, 'webhook event not written'));
  }

  others.hosts.onRegistered((host) => emitSafely('HOST_REGISTERED', async () => hostData(host)));
  others.tasks.onStateChanged((task: TaskRow) => {
    const event = TASK_STATE_EVENTS[task.state];
    if (event) emitSafely(event, () => taskData(db, task));
  });

  /** Due deliveries of enabled webhooks, claimed for CLAIM_MS. */
  async function claim(): Promise<(WebhookDeliveryRow & { url: string; secret: string })[]> {
    const at = now();
    return db.transaction(async (tx) => {
      const due = await tx
        .select({ delivery: webhookDeliveries, url: webhooks.url, secret: webhooks.secret })
        .from(webhookDeliveries)
        .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
        .where(
          and(
            eq(webhookDeliveries.state, 'PENDING'),
            lte(webhookDeliveries.nextAttemptAt, at),
            eq(webhooks.enabled, true),
          ),
        )
        .orderBy(asc(webhookDeliveries.nextAttemptAt))
        .limit(BATCH)
        .for('update', { of: webhookDeliveries, skipLocked: true });
      if (due.length === 0) return [];
      await tx
        .update(webhookDeliveries)
        .set({ nextAttemptAt: new Date(at.getTime() + CLAIM_MS) })
        .where(
          inArray(
            webhookDeliveries.id,
            due.map((d) => d.delivery.id),
          ),
        );
      return due.map((d) => ({ ...d.delivery, url: d.url, secret: d.secret }));
    });
  }

  async function attempt(row: WebhookDeliveryRow & { url: string; secret: string }) {
    const result = await sendWebhook(row, row, now());
    const attempts = row.attempts + 1;
    const at = now();
    const wait = delays[attempts - 1];
    const outcome = result.ok
      ? { state: 'DELIVERED' as const, deliveredAt: at }
      : wait === undefined
        ? { state: 'FAILED' as const }
        : { state: 'PENDING' as const, nextAttemptAt: new Date(at.getTime() + wait) };
    await db
      .update(webhookDeliveries)
      .set({ attempts, lastStatus: result.status, lastError: result.error, ...outcome })
      .where(eq(webhookDeliveries.id, row.id));
    if (!result.ok) {
      log.warn(
        { delivery: row.id, url: row.url, attempts, error: result.error, state: outcome.state },
        'webhook attempt failed',
      );
    }
  }

  async function cleanup() {
    const at = now().getTime();
    if (at - lastCleanup < 3_600_000) return;
    lastCleanup = at;
    await db
      .delete(webhookDeliveries)
      .where(
        and(ne(webhookDeliveries.state, 'PENDING'), lte(webhookDeliveries.createdAt, new Date(at - KEEP_MS))),
      );
  }

  /** Sends everything due, then sleeps until the next due attempt (IDLE_MS at most). */
  async function drainOnce() {
    for (;;) {
      const batch = await claim();
      await boundedRun(batch.length, AT_ONCE, (i) => attempt(batch[i]!));
      if (batch.length < BATCH) break;
    }
    await cleanup();
  }

  function drain(): Promise<void> {
    if (draining) {
      again = true;
      return draining;
    }
    draining = (async () => {
      try {
        do {
          again = false;
          await drainOnce();
        } while (again);
      } catch (err) {
        log.error({ err }, 'webhook delivery pass failed');
      } finally {
        draining = null;
        await sleepUntilDue();
      }
    })();
    return draining;
  }

  async function sleepUntilDue() {
    if (!started) return;
    const [row] = await db
      .select({ next: min(webhookDeliveries.nextAttemptAt) })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.state, 'PENDING'))
      .catch(() => [{ next: null }]);
    const wait = row?.next ? Math.max(0, new Date(row.next).getTime() - now().getTime()) : IDLE_MS;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void drain(), Math.min(wait, IDLE_MS) + 50);
    timer.unref();
  }

  function kick() {
    if (started) void drain();
  }

  return {
    emit,
    /** REPLICATION_FAILED, from the replicator. */
    replicationFailed: (failure: ReplicationFailure) =>
      emitSafely('REPLICATION_FAILED', async () => replicationData(failure)),
    /** IMAGE_DAMAGED, from a verification of the store. */
    imageDamaged: (damage: ImageDamage) => emitSafely('IMAGE_DAMAGED', async () => imageDamageData(damage)),
    /** Sends what is due now (tests; the loop does it by itself). */
    drain,

    start() {
      started = true;
      void drain();
    },
    stop() {
      started = false;
      if (timer) clearTimeout(timer);
      timer = null;
    },

    async create(input: WebhookInput): Promise<{ webhook: WebhookRow; secret: string }> {
      const name = checkName(input.name);
      const values = {
        name,
        url: checkUrl(input.url),
        events: checkEvents(input.events),
        enabled: input.enabled ?? true,
        secret: newWebhookSecret(),
      };
      try {
        const [webhook] = await db.insert(webhooks).values(values).returning();
        return { webhook: webhook!, secret: values.secret };
      } catch (err) {
        rethrowUnique(err, name);
      }
    },

    async update(input: UpdateWebhookInput): Promise<WebhookRow> {
      await mustGet(input.id);
      const set = {
        name: input.name == null ? undefined : checkName(input.name),
        url: input.url == null ? undefined : checkUrl(input.url),
        events: input.events == null ? undefined : checkEvents(input.events),
        enabled: input.enabled ?? undefined,
        updatedAt: now(),
      };
      try {
        const [row] = await db.update(webhooks).set(set).where(eq(webhooks.id, input.id)).returning();
        // Re-enabled: its waiting deliveries go now.
        if (input.enabled) kick();
        return row!;
      } catch (err) {
        rethrowUnique(err, input.name ?? '');
      }
    },

    async remove(id: string): Promise<WebhookRow> {
      const row = await mustGet(id);
      await db.delete(webhooks).where(eq(webhooks.id, id));
      return row;
    },

    async rotateSecret(id: string): Promise<{ webhook: WebhookRow; secret: string }> {
      await mustGet(id);
      const secret = newWebhookSecret();
      const [webhook] = await db
        .update(webhooks)
        .set({ secret, updatedAt: now() })
        .where(eq(webhooks.id, id))
        .returning();
      return { webhook: webhook!, secret };
    },

    /** A PING to this webhook only, whatever its events (a disabled one sends it once enabled). */
    async ping(id: string): Promise<WebhookDeliveryRow> {
      await mustGet(id);
      const [delivery] = await emit('PING', async () => ({}), id);
      return delivery!;
    },

    /** The same document again, as a new delivery (new id, fresh retries). */
    async redeliver(deliveryId: string): Promise<WebhookDeliveryRow> {
      const [old] = onlyUuids([deliveryId]).length
        ? await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId))
        : [];
      if (!old) throw new WebhookDeliveryNotFoundError();
      const id = randomUUID();
      const at = now();
      const [row] = await db
        .insert(webhookDeliveries)
        .values({
          id,
          webhookId: old.webhookId,
          event: old.event,
          payload: { ...old.payload, id },
          nextAttemptAt: at,
          createdAt: at,
        })
        .returning();
      kick();
      return row!;
    },

    getWebhooks: (ids: readonly string[]) => rowsByIds(db, webhooks, webhooks.id, ids),
    countWebhooks: async () => (await db.select({ n: count() }).from(webhooks))[0]?.n ?? 0,
    listWebhooks: (w: { offset: number; limit: number }) =>
      db
        .select()
        .from(webhooks)
        .orderBy(asc(sql`lower(${webhooks.name})`), asc(webhooks.id))
        .offset(w.offset)
        .limit(w.limit),
    getDeliveries: (ids: readonly string[]) => rowsByIds(db, webhookDeliveries, webhookDeliveries.id, ids),
    countDeliveries: async (webhookId: string) =>
      (
        await db
          .select({ n: count() })
          .from(webhookDeliveries)
          .where(eq(webhookDeliveries.webhookId, webhookId))
      )[0]?.n ?? 0,
    /** Newest first. */
    listDeliveries: (webhookId: string, w: { offset: number; limit: number }) =>
      db
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.webhookId, webhookId))
        .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
        .offset(w.offset)
        .limit(w.limit),
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
