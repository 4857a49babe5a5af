/**
 * Loads the console's data once, then keeps it live through subscriptions (no polling): host and
 * task events, and one `taskProgress` subscription per active task. Events go through the
 * throttled store; a one-second tick moves elapsed times.
 */
import { useEffect, useState } from 'react';
import { createThrottledStore, type Scheduler, type ThrottledStore } from '../ui/throttled-store.ts';
import { useThrottledStore } from '../ui/use-throttled-store.ts';
import { isActiveTask } from './console-model.ts';
import type { ConsolePort, Unsubscribe } from './console-port.ts';
import {
  type ConsoleData,
  type ConsoleDataAction,
  consoleDataReducer,
  emptyConsoleData,
} from './use-console-data.ts';

export type ConsoleStore = ThrottledStore<ConsoleData, ConsoleDataAction>;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Starts the initial loads and the subscriptions; returns a function that stops them all. */
export interface FeedOptions {
  /** Follow the audit log (the server allows it to ADMINs only). @default true */
  readonly audit?: boolean;
}

export function startConsoleFeed(
  port: ConsolePort,
  store: ConsoleStore,
  now: () => number,
  options: FeedOptions = {},
): Unsubscribe {
  const audit = options.audit ?? true;
  const stops: Unsubscribe[] = [];
  const progress = new Map<string, Unsubscribe>();
  const fail = (e: unknown) => store.dispatch({ type: 'error', message: message(e) });
  const follow = () => {
    const active = new Set(
      store
        .getState()
        .tasks.filter(isActiveTask)
        .map((t) => t.id),
    );
    for (const id of active) {
      if (!progress.has(id)) {
        progress.set(
          id,
          port.onTaskProgress(id, (counters, blocks, doneRanges) =>
            store.dispatch({ type: 'taskProgress', taskId: id, counters, atMs: now(), blocks, doneRanges }),
          ),
        );
      }
    }
    for (const [id, stop] of progress) {
      if (!active.has(id)) {
        stop();
        progress.delete(id);
      }
    }
  };
  stops.push(port.onHostEvent((kind, host) => store.dispatch({ type: 'hostEvent', kind, host }), fail));
  stops.push(
    port.onTaskEvent((kind, task) => {
      store.dispatch({ type: 'taskEvent', kind, task, atMs: now() });
      follow();
    }, fail),
  );
  // Store figures change with images (a capture published, an image deleted): reload them then,
  // at most once per burst of events.
  let storeReload: ReturnType<typeof setTimeout> | undefined;
  const loadStore = () =>
    port.loadStore().then((s) => s && store.dispatch({ type: 'storeLoaded', store: s }), fail);
  const reloadStore = () => {
    clearTimeout(storeReload);
    storeReload = setTimeout(loadStore, 500);
  };
  stops.push(() => clearTimeout(storeReload));
  stops.push(
    port.onImageEvent((kind, image) => {
      store.dispatch(
        kind === 'DELETED' ? { type: 'imageRemoved', id: image.id } : { type: 'imageChanged', image },
      );
      reloadStore();
    }, fail),
  );
  // The audit stream is for admins; for other roles the pane keeps the list loaded on visit.
  stops.push(
    port.onAuditEntry(
      (entry) => store.dispatch({ type: 'auditEntry', entry }),
      () => {},
    ),
  );
  const loadLists = () => {
    port.loadHosts().then((r) => store.dispatch({ type: 'hostsLoaded', ...r }), fail);
    port.loadImages().then((images) => store.dispatch({ type: 'imagesLoaded', images }), fail);
    port
      .loadTasks()
      .then((tasks) => {
        store.dispatch({ type: 'tasksLoaded', tasks });
        follow();
      })
      .catch(fail);
    loadStore();
  };
  loadLists();
  // Events sent while the socket was (re)connecting are lost: reload once it is up again.
  let reload: ReturnType<typeof setTimeout> | undefined;
  const stopReconnect = port.onReconnect?.(() => {
    clearTimeout(reload);
    reload = setTimeout(loadLists, 250);
  });
  if (stopReconnect) stops.push(stopReconnect, () => clearTimeout(reload));
  if (audit) port.loadAudit().then((entries) => store.dispatch({ type: 'auditLoaded', entries }), fail);
  port.loadMulticast().then((sessions) => store.dispatch({ type: 'multicastLoaded', sessions }), fail);
  return () => {
    for (const s of stops) s();
    for (const s of progress.values()) s();
  };
}

/** The console's live data, re-rendered at most ten times a second. */
export function useConsoleFeed(
  port: ConsolePort,
  options: { scheduler?: Scheduler; now?: () => number; audit?: boolean } = {},
) {
  const now = options.now ?? Date.now;
  // One store for the component's lifetime (a port change means a new console).
  const [store] = useState(() =>
    createThrottledStore(
      consoleDataReducer,
      { ...emptyConsoleData, nowMs: now() },
      options.scheduler ? { scheduler: options.scheduler } : {},
    ),
  );
  useEffect(() => {
    const stop = startConsoleFeed(port, store, now, { audit: options.audit ?? true });
    const tick = setInterval(() => store.dispatch({ type: 'tick', atMs: now() }), 1000);
    return () => {
      clearInterval(tick);
      stop();
      store.dispose();
    };
  }, [port, store, now, options.audit]);
  return { data: useThrottledStore(store), store };
}
