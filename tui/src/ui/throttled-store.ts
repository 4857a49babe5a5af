/**
 * A reducer store that applies every action at once but publishes to its subscribers at most once
 * per interval. Progress events may arrive at thousands per second; the screen needs ten. Keys use
 * `dispatchNow` so typing never feels throttled.
 */
export type Reducer<S, A> = (state: S, action: A) => S;

/** The timers the store uses; injected so tests can drive time by hand. */
export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface ThrottledStore<S, A> {
  /** Applies the action now; subscribers hear about it at the next tick (at most one per interval). */
  dispatch(action: A): void;
  /** Applies the action and publishes at once (user input). */
  dispatchNow(action: A): void;
  /** The last published state: what the screen shows. */
  getSnapshot(): S;
  /** The state with every action applied, published or not. */
  getState(): S;
  subscribe(listener: () => void): () => void;
  /** Cancels the pending tick. */
  dispose(): void;
}

/** Ten frames per second: smooth enough for bars, cheap enough over SSH. */
export const DEFAULT_RENDER_INTERVAL_MS = 100;

export function createThrottledStore<S, A>(
  reducer: Reducer<S, A>,
  initial: S,
  options: { intervalMs?: number; scheduler?: Scheduler } = {},
): ThrottledStore<S, A> {
  const intervalMs = options.intervalMs ?? DEFAULT_RENDER_INTERVAL_MS;
  const scheduler = options.scheduler ?? realScheduler;
  const listeners = new Set<() => void>();
  let state = initial;
  let published = initial;
  let timer: unknown = null;

  const publish = () => {
    timer = null;
    if (published === state) return;
    published = state;
    for (const l of listeners) l();
  };
  return {
    dispatch(action) {
      state = reducer(state, action);
      if (state !== published && timer === null) timer = scheduler.setTimeout(publish, intervalMs);
    },
    dispatchNow(action) {
      state = reducer(state, action);
      if (timer !== null) scheduler.clearTimeout(timer);
      publish();
    },
    getSnapshot: () => published,
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      if (timer !== null) scheduler.clearTimeout(timer);
      timer = null;
    },
  };
}
