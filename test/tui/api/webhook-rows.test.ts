/**
 * A webhook as the console shows it: its newest delivery summed up in one line, and the FAILED
 * delivery `r` sends again.
 */
import { describe, expect, it } from 'vitest';
import { SUBSCRIBABLE_EVENTS } from '../../../server/src/webhooks/webhook-events.ts';
import type { WebhookDeliveryFields, WebhookFields } from '../../../tui/src/api/documents.ts';
import { toWebhookRow } from '../../../tui/src/api/graphql-mappers.ts';
import { deliveryText, webhookEventsText } from '../../../tui/src/console/console-model.ts';

function fields(deliveries: Partial<WebhookDeliveryFields>[]): WebhookFields {
  return {
    id: 'w1',
    name: 'helpdesk',
    url: 'https://hooks.example.com/h',
    events: ['TASK_FAILED'],
    enabled: true,
    deliveries: {
      totalCount: deliveries.length,
      edges: deliveries.map((d, i) => ({
        node: {
          id: `d${i}`,
          event: 'TASK_FAILED',
          state: 'DELIVERED',
          attempts: 1,
          lastStatus: 200,
          lastError: null,
          createdAt: '2026-11-27T10:00:00.000Z',
          deliveredAt: '2026-11-27T10:00:01.000Z',
          ...d,
        },
      })),
    },
  };
}

describe('webhook rows', () => {
  it('given deliveries newest first, the newest is shown and the newest FAILED one is the one to redeliver', () => {
    const row = toWebhookRow(
      fields([
        { state: 'PENDING', attempts: 2, lastStatus: null, lastError: 'connection refused' },
        { state: 'DELIVERED' },
        { state: 'FAILED', attempts: 9 },
        { state: 'FAILED', attempts: 9 },
      ]),
    );
    expect(row.lastDelivery?.id).toBe('d0');
    expect(row.lastFailedDeliveryId).toBe('d2');
  });

  it('given no delivery yet, there is nothing to show or redeliver', () => {
    expect(toWebhookRow(fields([]))).toMatchObject({ lastDelivery: null, lastFailedDeliveryId: null });
  });

  it('a delivery reads as its event, its state with attempts, then the status or the error', () => {
    const base = toWebhookRow(fields([{}])).lastDelivery!;
    expect(deliveryText({ ...base, event: 'PING' })).toBe('PING delivered ×1 HTTP 200');
    expect(deliveryText({ ...base, state: 'PENDING', attempts: 0, lastStatus: null })).toBe(
      'TASK_FAILED pending',
    );
    expect(
      deliveryText({ ...base, state: 'PENDING', attempts: 3, lastStatus: 500, lastError: 'HTTP 500: nope' }),
    ).toBe('TASK_FAILED retrying ×3 HTTP 500: nope');
    expect(
      deliveryText({ ...base, state: 'FAILED', attempts: 9, lastStatus: null, lastError: 'timed out' }),
    ).toBe('TASK_FAILED failed ×9 timed out');
  });

  it('the events read short, and "all" when a webhook wants every event', () => {
    expect(webhookEventsText(['TASK_FAILED', 'HOST_REGISTERED'])).toBe('failed,registered');
    // every event the server lets a webhook want (a new one the console does not know is no "all")
    expect(webhookEventsText(SUBSCRIBABLE_EVENTS)).toBe('all');
    expect(webhookEventsText(SUBSCRIBABLE_EVENTS.filter((e) => e !== 'IMAGE_DAMAGED'))).not.toBe('all');
    expect(webhookEventsText(['IMAGE_DAMAGED'])).toBe('damaged');
  });
});
