import { setMaxListeners } from 'node:events';
import { Repeater, SlidingBuffer } from '@repeaterjs/repeater';

/**
 * Topic name → payload type. Each domain adds its topics by declaration merging, e.g.
 *   declare module '../graphql/pubsub.ts' { interface PubSubTopics { hostEvents: HostEvent } }
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by the domains (declaration merging).
export interface PubSubTopics {}

export type TopicName = keyof PubSubTopics & string;

export interface SubscribeOptions {
  /** Narrows a topic to one key (e.g. a task id for `taskProgress`). */
  readonly key?: string;
  /** Events kept per subscriber before the oldest drop (payloads are cumulative). Default 64. */
  readonly bufferSize?: number;
  /** A listener of the server's own (the replicator): not counted among the API's subscribers. */
  readonly internal?: boolean;
}

/**
 * Single-process fan-out. The interface stays small so a PostgreSQL LISTEN/NOTIFY fan-out can
 * implement it later without touching publishers or resolvers.
 */
export interface PubSub {
  publish<T extends TopicName>(topic: T, payload: PubSubTopics[T], key?: string): void;
  subscribe<T extends TopicName>(topic: T, options?: SubscribeOptions): Repeater<PubSubTopics[T]>;
  /** Open API subscriptions (internal listeners aside), for /metrics. */
  readonly subscriberCount: number;
}

class PayloadEvent extends Event {
  readonly payload: unknown;
  constructor(type: string, payload: unknown) {
    super(type);
    this.payload = payload;
  }
}

const channel = (topic: string, key?: string): string => (key === undefined ? topic : `${topic}:${key}`);

/**
 * One Repeater with its own SlidingBuffer per subscriber: a slow subscriber loses its oldest events
 * instead of crashing the process (yoga's createPubSub overflows a shared buffer, see stack-notes).
 */
export function createPubSub(): PubSub {
  const target = new EventTarget();
  setMaxListeners(0, target);
  let subscribers = 0;
  return {
    publish(topic, payload, key) {
      target.dispatchEvent(new PayloadEvent(channel(topic, key), payload));
    },
    subscribe<T extends TopicName>(topic: T, options: SubscribeOptions = {}) {
      const name = channel(topic, options.key);
      return new Repeater<PubSubTopics[T]>(
        async (push, stop) => {
          const listener = (event: Event) => {
            void push((event as PayloadEvent).payload as PubSubTopics[T]);
          };
          const counted = options.internal ? 0 : 1;
          target.addEventListener(name, listener);
          subscribers += counted;
          await stop;
          subscribers -= counted;
          target.removeEventListener(name, listener);
        },
        new SlidingBuffer(options.bufferSize ?? 64),
      );
    },
    get subscriberCount() {
      return subscribers;
    },
  };
}
