import type { HostRecord } from './host-store.ts';

export const HOST_EVENT_KINDS = [
  'CREATED',
  'UPDATED',
  'DELETED',
  'APPROVED',
  'REGISTERED',
  'ONLINE',
  'OFFLINE',
] as const;
export type HostEventKind = (typeof HOST_EVENT_KINDS)[number];

export interface HostEvent {
  readonly kind: HostEventKind;
  /** The host after the change (before it, for DELETED). */
  readonly host: HostRecord;
}

declare module '../graphql/pubsub.ts' {
  interface PubSubTopics {
    hostEvents: HostEvent;
  }
}
