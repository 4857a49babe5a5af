import type { ImageRow } from './images-table.ts';

export const IMAGE_EVENT_KINDS = [
  'CREATED',
  'UPDATED',
  'DELETED',
  'VERSION_PUBLISHED',
  'CURRENT_VERSION_CHANGED',
] as const;
export type ImageEventKind = (typeof IMAGE_EVENT_KINDS)[number];

export interface ImageEvent {
  readonly kind: ImageEventKind;
  readonly image: ImageRow;
}

declare module '../graphql/pubsub.ts' {
  interface PubSubTopics {
    imageEvents: ImageEvent;
  }
}
