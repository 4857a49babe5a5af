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

export interface FeedOptions {
  /** Follow the audit log (the server allows it to ADMINs only). @default true */
  readonly audit?: boolean;
}

/** Runs `fn` once, `ms` after the last call of a burst; `cancel` for shutdown. */
function debounced(fn: () => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    call: () => {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    },
    cancel: () => clearTimeout(timer),
  };
}

/** One `taskProgress` subscription per active task, opened and closed as tasks come and go. */
function progressFollower(port: ConsolePort, store: ConsoleStore, now: () => number) {
  const progress = new Map<string, Unsubscribe>();
  const follow = () => {
    const active = new Set(
      store
        .getState()
        .tasks.filter(isActiveTask)
        .map((t) => t.id),
    );
    for (const id of active) {
      if (progress.has(id)) continue;
      const stop = port.onTaskProgress(id, (counters, blocks, doneRanges) =>
        store.dispatch({ type: 'taskProgress', taskId: id, counters, atMs: now(), blocks, doneRanges }),
      );
      progress.set(id, stop);
    }
    for (const [id, stop] of progress) {
      if (active.has(id)) continue;
      stop();
      progress.delete(id);
    }
  };
  const stopAll = () => {
    for (const s of progress.values()) s();
  };
  return { follow, stopAll };
}

/** One loader per list; each dispatches its result or reports the failure. */
function consoleLoaders(
  port: ConsolePort,
  store: ConsoleStore,
  follow: () => void,
  fail: (e: unknown) => void,
) {
  return {
    hosts: () => port.loadHosts().then((r) => store.dispatch({ type: 'hostsLoaded', ...r }), fail),
    images: () => port.loadImages().then((images) => store.dispatch({ type: 'imagesLoaded', images }), fail),
    store: () => port.loadStore().then((s) => s && store.dispatch({ type: 'storeLoaded', store: s }), fail),
    replication: () =>
      port
        .loadReplication()
        .then((r) => r && store.dispatch({ type: 'replicationLoaded', replication: r }), fail),
    multicast: () =>
      port.loadMulticast().then((sessions) => store.dispatch({ type: 'multicastLoaded', sessions }), fail),
    schedules: () =>
      port.loadSchedules().then((schedules) => store.dispatch({ type: 'schedulesLoaded', schedules }), fail),
    webhooks: () =>
      port.loadWebhooks().then((webhooks) => store.dispatch({ type: 'webhooksLoaded', webhooks }), fail),
    tasks: () =>
      port.loadTasks().then((tasks) => {
        store.dispatch({ type: 'tasksLoaded', tasks });
        follow();
      }, fail),
  };
}

/** Starts the initial loads and the subscriptions; returns a function that stops them all. */
export function startConsoleFeed(
  port: ConsolePort,
  store: ConsoleStore,
  now: () => number,
  options: FeedOptions = {},
): Unsubscribe {
  const fail = (e: unknown) => store.dispatch({ type: 'error', message: message(e) });
  const { follow, stopAll } = progressFollower(port, store, now);
  const load = consoleLoaders(port, store, follow, fail);
  // No polling: the store figures follow image events (a capture published, an image deleted),
  // the multicast sessions follow their receivers' MULTICAST task events; once per burst.
  const reloadStore = debounced(load.store, 500);
  const reloadMulticast = debounced(load.multicast, 300);
  // Schedules have no events; a run shows as the tasks it creates, so a burst of them reloads.
  const reloadSchedules = debounced(load.schedules, 1000);
  // Replication has no events either: a capture starts a pass within 30 s (the server's nudge),
  // so the line is read again a little after that, once per burst of image events.
  const reloadReplication = debounced(load.replication, 45_000);
  const loadLists = () => {
    load.hosts();
    load.images();
    load.tasks();
    load.store();
    load.multicast();
    load.schedules();
    load.webhooks();
    load.replication();
  };
  // Events sent while the socket was (re)connecting are lost: reload once it is up again.
  const reloadLists = debounced(loadLists, 250);
  const stops: Unsubscribe[] = [
    stopAll,
    reloadStore.cancel,
    reloadMulticast.cancel,
    reloadSchedules.cancel,
    reloadReplication.cancel,
    reloadLists.cancel,
    port.onHostEvent((kind, host) => store.dispatch({ type: 'hostEvent', kind, host }), fail),
    port.onTaskEvent((kind, task) => {
      store.dispatch({ type: 'taskEvent', kind, task, atMs: now() });
      follow();
      if (task.type === 'MULTICAST') reloadMulticast.call();
      if (kind === 'CREATED') reloadSchedules.call();
    }, fail),
    port.onImageEvent((kind, image) => {
      store.dispatch(
        kind === 'DELETED' ? { type: 'imageRemoved', id: image.id } : { type: 'imageChanged', image },
      );
      reloadStore.call();
      reloadReplication.call();
    }, fail),
    // The audit stream is for admins; for other roles the pane keeps the list loaded on visit.
    port.onAuditEntry(
      (entry) => store.dispatch({ type: 'auditEntry', entry }),
      () => {},
    ),
    port.onReconnect?.(reloadLists.call) ?? (() => {}),
  ];
  loadLists();
  if (options.audit ?? true)
    port.loadAudit().then((entries) => store.dispatch({ type: 'auditLoaded', entries }), fail);
  return () => {
    for (const s of stops) s();
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
