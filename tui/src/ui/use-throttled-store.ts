import { useSyncExternalStore } from 'react';
import type { ThrottledStore } from './throttled-store.ts';

/** Subscribes a component to a throttled store: it re-renders only when the store publishes. */
export function useThrottledStore<S, A>(store: ThrottledStore<S, A>): S {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
