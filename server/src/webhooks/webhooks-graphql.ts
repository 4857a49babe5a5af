import { builder } from '../graphql/builder.ts';
import { resolveCountedConnection } from '../graphql/connections.ts';
import { defineErrorType } from '../graphql/errors.ts';
import { orderByIds } from '../graphql/load-by-ids.ts';
import { decodeUuidOf } from '../hosts/inventory-ids.ts';
import {
  DuplicateWebhookNameError,
  InvalidWebhookNameError,
  InvalidWebhookUrlError,
  WebhookDeliveryNotFoundError,
  WebhookNotFoundError,
} from './webhook-errors.ts';
import { SUBSCRIBABLE_EVENTS, WEBHOOK_EVENTS } from './webhook-events.ts';
import { DELIVERY_STATES, type WebhookDeliveryRow, type WebhookRow } from './webhooks-table.ts';

const WebhookEventEnum = builder.enumType('WebhookEvent', { values: WEBHOOK_EVENTS });
const DeliveryStateEnum = builder.enumType('WebhookDeliveryState', { values: DELIVERY_STATES });
const WebhookRef = builder.objectRef<WebhookRow>('Webhook');
const WebhookDeliveryRef = builder.objectRef<WebhookDeliveryRow>('WebhookDelivery');

// Webhooks send the server's events to other systems: ADMIN only, to read and to change.
builder.node(WebhookDeliveryRef, {
  authScopes: { admin: true },
  description: 'One event sent (or being sent) to one webhook.',
  id: { resolve: (d) => d.id },
  loadMany: async (ids, ctx) => orderByIds(ids, await ctx.services.webhooks.getDeliveries(ids), (d) => d.id),
  fields: (t) => ({
    event: t.expose('event', { type: WebhookEventEnum }),
    state: t.expose('state', { type: DeliveryStateEnum }),
    attempts: t.exposeInt('attempts'),
    nextAttemptAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (d) => (d.state === 'PENDING' ? d.nextAttemptAt : null),
    }),
    lastStatus: t.exposeInt('lastStatus', {
      nullable: true,
      description: "The receiver's last HTTP status.",
    }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last attempt failed.' }),
    payload: t.expose('payload', { type: 'JSON', description: 'The document sent (WEBHOOKS.md).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.node(WebhookRef, {
  authScopes: { admin: true },
  description:
    'An URL told of events, with signed POSTs (server/src/webhooks/WEBHOOKS.md). The secret is never shown.',
  id: { resolve: (w) => w.id },
  loadMany: async (ids, ctx) => orderByIds(ids, await ctx.services.webhooks.getWebhooks(ids), (w) => w.id),
  fields: (t) => ({
    name: t.exposeString('name'),
    url: t.exposeString('url'),
    events: t.expose('events', { type: [WebhookEventEnum] }),
    enabled: t.exposeBoolean('enabled'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    deliveries: t.connection(
      {
        type: WebhookDeliveryRef,
        authScopes: { admin: true },
        description: 'Newest first; kept 30 days.',
        resolve: (w, args, ctx) =>
          resolveCountedConnection(args, {
            count: () => ctx.services.webhooks.countDeliveries(w.id),
            list: (window) => ctx.services.webhooks.listDeliveries(w.id, window),
          }),
      },
      {
        name: 'WebhookDeliveryConnection',
        authScopes: { admin: true },
        fields: (c) => ({ totalCount: c.int({ resolve: (x) => x.totalCount }) }),
      },
    ),
  }),
});

builder.queryField('webhooks', (t) =>
  t.connection(
    {
      type: WebhookRef,
      authScopes: { admin: true },
      resolve: (_r, args, ctx) =>
        resolveCountedConnection(args, {
          count: () => ctx.services.webhooks.countWebhooks(),
          list: (w) => ctx.services.webhooks.listWebhooks(w),
        }),
    },
    {
      name: 'WebhookConnection',
      authScopes: { admin: true },
      fields: (c) => ({ totalCount: c.int({ resolve: (x) => x.totalCount }) }),
    },
  ),
);

defineErrorType(WebhookNotFoundError, 'WebhookNotFoundError');
defineErrorType(WebhookDeliveryNotFoundError, 'WebhookDeliveryNotFoundError');
defineErrorType(InvalidWebhookUrlError, 'InvalidWebhookUrlError');
defineErrorType(InvalidWebhookNameError, 'InvalidWebhookNameError');
defineErrorType(DuplicateWebhookNameError, 'DuplicateWebhookNameError');

function webhookIdOf(globalId: string | number | bigint): string {
  const id = decodeUuidOf(globalId, 'Webhook');
  if (!id) throw new WebhookNotFoundError();
  return id;
}

const eventsDescription = `Any of ${SUBSCRIBABLE_EVENTS.join(', ')} (PING is sent by pingWebhook only).`;

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  fields: (t) => ({
    name: t.string(),
    url: t.string({ description: 'http(s), no credentials: where the signed POSTs go.' }),
    events: t.field({ type: [WebhookEventEnum], description: eventsDescription }),
    enabled: t.boolean({ required: false }),
  }),
});
const UpdateWebhookInput = builder.inputType('UpdateWebhookInput', {
  fields: (t) => ({
    id: t.id(),
    name: t.string({ required: false }),
    url: t.string({ required: false }),
    events: t.field({ type: [WebhookEventEnum], required: false, description: eventsDescription }),
    enabled: t.boolean({ required: false }),
  }),
});
const WebhookIdInput = (name: string) => builder.inputType(name, { fields: (t) => ({ id: t.id() }) });

const WithSecret = (name: string) =>
  builder.objectRef<{ webhook: WebhookRow; secret: string }>(name).implement({
    authScopes: { admin: true },
    fields: (t) => ({
      webhook: t.expose('webhook', { type: WebhookRef }),
      secret: t.exposeString('secret', {
        description: 'The HMAC key of Brume-Signature: shown this once, never again.',
      }),
    }),
  });
const WebhookPayload = (name: string) =>
  builder.objectRef<{ webhook: WebhookRow }>(name).implement({
    authScopes: { admin: true },
    fields: (t) => ({ webhook: t.expose('webhook', { type: WebhookRef }) }),
  });
const DeliveryPayload = (name: string) =>
  builder.objectRef<{ delivery: WebhookDeliveryRow }>(name).implement({
    authScopes: { admin: true },
    fields: (t) => ({ delivery: t.expose('delivery', { type: WebhookDeliveryRef }) }),
  });

const fieldErrors = [InvalidWebhookNameError, InvalidWebhookUrlError, DuplicateWebhookNameError];

builder.mutationField('createWebhook', (t) =>
  t.field({
    type: WithSecret('CreateWebhookSuccess'),
    authScopes: { admin: true },
    errors: { types: fieldErrors },
    args: { input: t.arg({ type: CreateWebhookInput }) },
    resolve: (_r, { input }, ctx) => ctx.services.webhooks.create(input),
  }),
);

builder.mutationField('updateWebhook', (t) =>
  t.field({
    type: WebhookPayload('UpdateWebhookSuccess'),
    authScopes: { admin: true },
    errors: { types: [WebhookNotFoundError, ...fieldErrors] },
    args: { input: t.arg({ type: UpdateWebhookInput }) },
    resolve: async (_r, { input }, ctx) => ({
      webhook: await ctx.services.webhooks.update({ ...input, id: webhookIdOf(input.id) }),
    }),
  }),
);

builder.mutationField('deleteWebhook', (t) =>
  t.field({
    type: WebhookPayload('DeleteWebhookSuccess'),
    authScopes: { admin: true },
    description: 'Its deliveries, pending ones included, go with it.',
    errors: { types: [WebhookNotFoundError] },
    args: { input: t.arg({ type: WebhookIdInput('DeleteWebhookInput') }) },
    resolve: async (_r, { input }, ctx) => ({
      webhook: await ctx.services.webhooks.remove(webhookIdOf(input.id)),
    }),
  }),
);

builder.mutationField('rotateWebhookSecret', (t) =>
  t.field({
    type: WithSecret('RotateWebhookSecretSuccess'),
    authScopes: { admin: true },
    description: 'A new secret signs every attempt from now on, retries of older deliveries included.',
    errors: { types: [WebhookNotFoundError] },
    args: { input: t.arg({ type: WebhookIdInput('RotateWebhookSecretInput') }) },
    resolve: (_r, { input }, ctx) => ctx.services.webhooks.rotateSecret(webhookIdOf(input.id)),
  }),
);

builder.mutationField('pingWebhook', (t) =>
  t.field({
    type: DeliveryPayload('PingWebhookSuccess'),
    authScopes: { admin: true },
    description: 'Queues a PING to this webhook: watch the delivery to see what the receiver answered.',
    errors: { types: [WebhookNotFoundError] },
    args: { input: t.arg({ type: WebhookIdInput('PingWebhookInput') }) },
    resolve: async (_r, { input }, ctx) => ({
      delivery: await ctx.services.webhooks.ping(webhookIdOf(input.id)),
    }),
  }),
);

builder.mutationField('redeliverWebhookDelivery', (t) =>
  t.field({
    type: DeliveryPayload('RedeliverWebhookDeliverySuccess'),
    authScopes: { admin: true },
    description: 'Sends the same document again as a new delivery (a new id, fresh retries).',
    errors: { types: [WebhookDeliveryNotFoundError] },
    args: { input: t.arg({ type: WebhookIdInput('RedeliverWebhookDeliveryInput') }) },
    resolve: async (_r, { input }, ctx) => {
      const id = decodeUuidOf(input.id, 'WebhookDelivery');
      if (!id) throw new WebhookDeliveryNotFoundError();
      return { delivery: await ctx.services.webhooks.redeliver(id) };
    },
  }),
);
