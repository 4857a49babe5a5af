/** What a webhook can ask to be told of (WEBHOOKS.md "Events"). */
export const WEBHOOK_EVENTS = [
  'TASK_STARTED',
  'TASK_COMPLETE',
  'TASK_FAILED',
  'TASK_CANCELLED',
  'REPLICATION_FAILED',
  'HOST_REGISTERED',
  'IMAGE_DAMAGED',
  'PING',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The events a webhook may subscribe to: PING goes to one webhook when asked. */
export const SUBSCRIBABLE_EVENTS = WEBHOOK_EVENTS.filter((e) => e !== 'PING');

/** The task state that raises each task event. */
export const TASK_STATE_EVENTS: Readonly<Record<string, WebhookEvent>> = {
  IN_PROGRESS: 'TASK_STARTED',
  COMPLETE: 'TASK_COMPLETE',
  FAILED: 'TASK_FAILED',
  CANCELLED: 'TASK_CANCELLED',
};
