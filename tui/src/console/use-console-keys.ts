/**
 * The console's key handler: overlays first (search, dialogs, help), then the keymap in the current
 * pane's scope, the list scope and the global scope. Commands that reach the server go through the
 * port; their results land in the status bar.
 */
import { type Key, useInput } from 'ink';
import type { Dispatch, RefObject } from 'react';
import { orderedTasks } from '../panes/tasks/tasks-pane.tsx';
import { formatBytes } from '../ui/format.ts';
import { lookupCommand } from '../ui/keymap.ts';
import { CONSOLE_KEYMAP, type ConsoleCommand } from './console-keymap.ts';
import { type ImageRow, localMinute } from './console-model.ts';
import type { ConsolePort } from './console-port.ts';
import { reloadSchedules, reloadWebhooks, runPending } from './run-pending.ts';
import { type ConsoleData, filterHosts } from './use-console-data.ts';
import type { ConsoleStore } from './use-console-feed.ts';
import type { ConsoleUi, ConsoleUiAction, Pane, PendingCommand, PickOption } from './use-console-state.ts';

export interface ConsoleKeysDeps {
  /** The latest state (not the last rendered one): see `useSyncReducer`. */
  readonly ui: ConsoleUi;
  readonly data: ConsoleData;
  readonly dispatch: Dispatch<ConsoleUiAction>;
  readonly port: ConsolePort;
  readonly store: ConsoleStore;
}

const PANE_OF: Partial<Record<ConsoleCommand, Pane>> = {
  'pane-dashboard': 'dashboard',
  'pane-hosts': 'hosts',
  'pane-images': 'images',
  'pane-tasks': 'tasks',
  'pane-schedules': 'schedules',
  'pane-multicast': 'multicast',
  'pane-audit': 'audit',
  'pane-webhooks': 'webhooks',
};

/** Rows of the current pane's list, for moving the selection. */
export function rowCount(ui: ConsoleUi, data: ConsoleData): number {
  switch (ui.pane) {
    case 'hosts':
      return filterHosts(data.hosts, ui.search).length;
    case 'images':
      return data.images.length;
    case 'tasks':
      return data.tasks.length;
    case 'schedules':
      return data.schedules.length;
    case 'multicast':
      return data.multicast.reduce((n, s) => n + 1 + s.receivers.length, 0);
    case 'audit':
      return data.audit.length;
    case 'webhooks':
      return data.webhooks?.length ?? 0;
    case 'dashboard':
      return 0;
  }
}

/** One pending server search per port: the latest text wins once typing pauses. */
const serverSearches = new WeakMap<ConsolePort, NodeJS.Timeout>();

/**
 * The list holds the first page of hosts; with more on the server, a search is asked of it too,
 * and what it finds joins the list, where the same filter shows it (FOG #666: 20k hosts).
 */
function searchServer(d: ConsoleKeysDeps, text: string) {
  clearTimeout(serverSearches.get(d.port));
  if (text.trim() === '' || d.data.hostsTotal <= d.data.hosts.length) return;
  const timer = setTimeout(() => {
    d.port.searchHosts(text.trim()).then(
      (hosts) => d.store.dispatch({ type: 'hostsFound', hosts }),
      (e: unknown) =>
        d.store.dispatch({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
  }, 250);
  timer.unref?.();
  serverSearches.set(d.port, timer);
}

function handleSearch(input: string, key: Key, d: ConsoleKeysDeps) {
  if (key.return) d.dispatch({ type: 'searchEnd' });
  else if (key.escape) d.dispatch({ type: 'back' });
  else {
    let text: string | null = null;
    if (key.backspace || key.delete) text = d.ui.search.slice(0, -1);
    else if (input && !key.ctrl && !key.meta) text = d.ui.search + input;
    if (text === null) return;
    d.dispatch({ type: 'searchInput', text });
    searchServer(d, text);
  }
}

function handleOverlay(input: string, key: Key, d: ConsoleKeysDeps): boolean {
  const o = d.ui.overlay;
  if (o === null) return false;
  if (o.kind === 'help') {
    if (key.escape || input === '?' || input === 'q') d.dispatch({ type: 'closeOverlay' });
  } else if (o.kind === 'quit') {
    if (input === 'y' || input === 'q') d.dispatch({ type: 'quit' });
    else if (input === 'n' || key.escape) d.dispatch({ type: 'closeOverlay' });
  } else if (o.kind === 'confirm') {
    if (input === 'y') {
      d.dispatch({ type: 'closeOverlay' });
      void runPending(o.command, d);
    } else if (input === 'n' || key.escape) d.dispatch({ type: 'closeOverlay' });
  } else if (o.kind === 'pick') {
    if (key.upArrow || input === 'k') d.dispatch({ type: 'pickMove', delta: -1 });
    else if (key.downArrow || input === 'j') d.dispatch({ type: 'pickMove', delta: 1 });
    else if (key.escape) d.dispatch({ type: 'closeOverlay' });
    else if (key.return) choose(o.command, o.options[o.selected]?.value ?? '', d);
  }
  return true;
}

function choose(cmd: PendingCommand, value: string, d: ConsoleKeysDeps) {
  const host = targetsText(cmd, d.data);
  const image = d.data.images.find((i) => i.id === value)?.name ?? '?';
  if (cmd.op === 'deploy' && cmd.imageId === undefined) {
    // The image first, then when: now, or overnight as labs are usually reimaged.
    d.dispatch({
      type: 'pick',
      title: `Deploy ${image} to ${host}: when?`,
      options: deployTimes(new Date(d.data.nowMs || Date.now())),
      command: { ...cmd, imageId: value },
    });
  } else if (cmd.op === 'deploy') {
    const name = d.data.images.find((i) => i.id === cmd.imageId)?.name ?? '?';
    const when = value ? ` at ${localMinute(new Date(value))}` : '';
    d.dispatch({
      type: 'confirm',
      prompt: `Deploy ${name} to ${host}${when}? ${cmd.hostIds.length > 1 ? 'Their disks' : 'Its disk'} will be overwritten. (y/n)`,
      command: { ...cmd, scheduledAt: value || null },
    });
  } else if (cmd.op === 'capture') {
    d.dispatch({
      type: 'confirm',
      prompt: `Capture ${host} into ${image}? (y/n)`,
      command: { ...cmd, imageId: value },
    });
  } else if (cmd.op === 'delete-version') {
    const name = d.data.images.find((i) => i.id === cmd.imageId)?.name ?? '?';
    const version = d.data.images.flatMap((i) => i.versions).find((v) => v.versionId === value);
    d.dispatch({
      type: 'confirm',
      prompt: `Delete ${name} v${version?.number ?? '?'}? Chunks no other version uses are freed. (y/n)`,
      command: { ...cmd, versionId: value },
    });
  } else if (cmd.op === 'keep-versions') {
    const image = d.data.images.find((i) => i.id === cmd.imageId);
    const keep = Number(value);
    const command = { ...cmd, keep };
    // A limit below the versions it has deletes the older ones at once: ask first.
    if (image && keep > 0 && image.versions.length > keep)
      d.dispatch({
        type: 'confirm',
        prompt: `Keep ${image.name}'s ${keep} newest versions? The older ones are deleted now. (y/n)`,
        command,
      });
    else {
      d.dispatch({ type: 'closeOverlay' });
      void runPending(command, d);
    }
  } else if (cmd.op === 'use-version' || cmd.op === 'verify-version') {
    d.dispatch({ type: 'closeOverlay' });
    void runPending({ ...cmd, versionId: value }, d);
  } else if (cmd.op === 'wipe') {
    const mode = value as 'FAST' | 'NORMAL' | 'FULL';
    d.dispatch({
      type: 'confirm',
      prompt: `${mode} wipe of ${host}'s disk? Its data will be destroyed. (y/n)`,
      command: { ...cmd, mode },
    });
  } else d.dispatch({ type: 'closeOverlay' });
}

function imageOptions(d: ConsoleKeysDeps, needsVersion: boolean) {
  return d.data.images
    .filter((i) => !needsVersion || i.versions.some((v) => v.current))
    .map((i) => ({ label: `${i.name}  (${i.osType})`, value: i.id }));
}

const VERSION_PICK_TITLES = {
  'delete-version': 'Delete a version of',
  'use-version': 'Make current in',
  'verify-version': 'Verify the chunks of',
} as const;

/**
 * Picks one of the image's versions: to delete or make current, any but the current one; to
 * verify, any (the current one first, as the list is newest first).
 */
function versionCommand(command: keyof typeof VERSION_PICK_TITLES, image: ImageRow, d: ConsoleKeysDeps) {
  const options = image.versions
    .filter((v) => command === 'verify-version' || !v.current)
    .map((v) => ({
      label: `v${v.number}  ${(v.createdAt ?? '').slice(0, 16).replace('T', ' ')}  ${formatBytes(v.sizeBytes)}${command === 'verify-version' ? `  last check: ${v.check}` : ''}`,
      value: v.versionId,
    }));
  if (options.length === 0) {
    d.dispatch({
      type: 'status',
      text:
        command === 'verify-version'
          ? `${image.name} has no version yet`
          : `${image.name} has no version besides the current one`,
      tone: 'info',
    });
    return;
  }
  d.dispatch({
    type: 'pick',
    title: `${VERSION_PICK_TITLES[command]} ${image.name}`,
    options,
    command: { op: command, imageId: image.id },
  });
}

/** Now, or the next 22:00 or 02:00 local time (the evening and the night a lab is free). */
export function deployTimes(now: Date): PickOption[] {
  const next = (hour: number) => {
    const at = new Date(now);
    at.setHours(hour, 0, 0, 0);
    if (at <= now) at.setDate(at.getDate() + 1);
    return at;
  };
  return [
    { label: 'now', value: '' },
    ...[22, 2]
      .map(next)
      .sort((a, b) => a.getTime() - b.getTime())
      .map((at) => ({ label: `at ${localMinute(at)}`, value: at.toISOString() })),
  ];
}

/** "pc-01", or "12 hosts" when a command acts on several. */
function targetsText(cmd: PendingCommand, data: ConsoleData): string {
  const ids = 'hostIds' in cmd ? cmd.hostIds : 'hostId' in cmd ? [cmd.hostId] : [];
  if (ids.length > 1) return `${ids.length} hosts`;
  return data.hosts.find((h) => h.id === ids[0])?.name ?? '?';
}

function hostCommand(command: ConsoleCommand, d: ConsoleKeysDeps) {
  const shown = filterHosts(d.data.hosts, d.ui.search);
  const host = shown[d.ui.selected.hosts];
  if (!host) return;
  const hostId = host.id;
  // Deploy, inventory and wake act on the marked hosts when there are any, else on the selected one.
  const hostIds = d.ui.marked.length > 0 ? d.ui.marked : [hostId];
  const targets = targetsText({ op: 'inventory', hostIds }, d.data);
  if (command === 'search') d.dispatch({ type: 'searchStart' });
  else if (command === 'mark') d.dispatch({ type: 'mark', id: hostId });
  else if (command === 'mark-all') d.dispatch({ type: 'markAll', ids: shown.map((h) => h.id) });
  else if (command === 'approve') void runPending({ op: 'approve', hostId }, d);
  else if (command === 'inventory') void runPending({ op: 'inventory', hostIds }, d);
  else if (command === 'wake') void runPending({ op: 'wake', hostIds }, d);
  else if (command === 'capture')
    d.dispatch({
      type: 'pick',
      title: `Capture ${host.name} into image`,
      options: imageOptions(d, false),
      command: { op: 'capture', hostId },
    });
  else if (command === 'deploy')
    d.dispatch({
      type: 'pick',
      title: `Deploy to ${targets}`,
      options: imageOptions(d, true),
      command: { op: 'deploy', hostIds },
    });
  else if (command === 'wipe')
    d.dispatch({
      type: 'pick',
      title: `Wipe ${host.name}`,
      options: [
        { label: 'Fast Wipe (zeros over the start of the disk)', value: 'FAST' },
        { label: 'Normal Wipe (one overwrite pass)', value: 'NORMAL' },
        { label: 'Full Wipe (three passes and zeros)', value: 'FULL' },
      ],
      command: { op: 'wipe', hostId },
    });
  else if (command === 'cancel') {
    const task = d.data.tasks.find(
      (t) => t.hostId === hostId && ['QUEUED', 'CHECKED_IN', 'IN_PROGRESS'].includes(t.state),
    );
    if (task)
      d.dispatch({
        type: 'confirm',
        prompt: `Cancel ${task.type} on ${host.name}? (y/n)`,
        command: { op: 'cancel', taskId: task.id },
      });
    else d.dispatch({ type: 'status', text: `${host.name} has no active task`, tone: 'info' });
  }
}

function open(d: ConsoleKeysDeps) {
  const { ui, data } = d;
  let id: string | undefined;
  if (ui.pane === 'hosts') {
    id = filterHosts(data.hosts, ui.search)[ui.selected.hosts]?.id;
    if (id) {
      const hostId = id;
      d.port.loadHostInventory(hostId).then(
        (inventory) => d.store.dispatchNow({ type: 'hostDetailLoaded', id: hostId, inventory }),
        (e) => d.dispatch({ type: 'status', text: String(e instanceof Error ? e.message : e), tone: 'bad' }),
      );
    }
  } else if (ui.pane === 'images') id = data.images[ui.selected.images]?.id;
  else if (ui.pane === 'tasks') id = orderedTasks(data).all[ui.selected.tasks]?.id;
  if (id) d.dispatch({ type: 'open', id });
}

/** Dispatches one command of the keymap. */
export function runCommand(command: ConsoleCommand, d: ConsoleKeysDeps) {
  const pane = PANE_OF[command];
  if (pane) {
    d.dispatch({ type: 'go', pane });
    if (pane === 'audit')
      d.port.loadAudit().then((entries) => d.store.dispatchNow({ type: 'auditLoaded', entries }));
    if (pane === 'schedules') reloadSchedules(d);
    if (pane === 'webhooks') reloadWebhooks(d);
    return;
  }
  if (command === 'help') d.dispatch({ type: 'help' });
  else if (command === 'quit') d.dispatch({ type: 'quit' });
  else if (command === 'back') d.dispatch({ type: 'back' });
  else if (command === 'up' || command === 'down')
    d.dispatch({ type: 'move', delta: command === 'up' ? -1 : 1, count: rowCount(d.ui, d.data) });
  else if (command === 'open') open(d);
  else if (d.ui.pane === 'hosts') hostCommand(command, d);
  else if (d.ui.pane === 'images') {
    const image = d.data.images[d.ui.selected.images];
    if (image && command === 'protect')
      void runPending({ op: 'protect', imageId: image.id, protect: !image.protected }, d);
    if (image && command === 'delete')
      d.dispatch({
        type: 'confirm',
        prompt: `Delete image ${image.name} and all its versions? (y/n)`,
        command: { op: 'delete-image', imageId: image.id },
      });
    if (image && (command === 'delete-version' || command === 'use-version' || command === 'verify-version'))
      versionCommand(command, image, d);
    if (image && command === 'keep-versions')
      d.dispatch({
        type: 'pick',
        title: `Versions ${image.name} keeps after each capture`,
        options: [0, 1, 2, 3, 5, 10].map((n) => ({
          label: n === 0 ? 'every version' : `the ${n} newest`,
          value: String(n),
        })),
        command: { op: 'keep-versions', imageId: image.id },
      });
  } else if (d.ui.pane === 'dashboard' && command === 'collect') {
    d.dispatch({
      type: 'confirm',
      prompt: 'Collect store garbage now? Unreferenced chunks older than 6 h are removed. (y/n)',
      command: { op: 'collect' },
    });
  } else if (d.ui.pane === 'dashboard' && command === 'import-store') {
    d.dispatch({
      type: 'confirm',
      prompt:
        'Register the image versions the store holds and the database lacks (local captures, a moved store)? (y/n)',
      command: { op: 'import-store' },
    });
  } else if (d.ui.pane === 'schedules') {
    scheduleCommand(command, d);
  } else if (d.ui.pane === 'webhooks') {
    webhookCommand(command, d);
  } else if (d.ui.pane === 'tasks' && command === 'front') {
    const task = orderedTasks(d.data).all[d.ui.selected.tasks];
    if (task) void runPending({ op: 'front', taskId: task.id }, d);
  } else if (d.ui.pane === 'tasks' && command === 'cancel') {
    const task = orderedTasks(d.data).all[d.ui.selected.tasks];
    if (task)
      d.dispatch({
        type: 'confirm',
        prompt: `Cancel ${task.type} on ${task.hostName ?? '?'}? (y/n)`,
        command: { op: 'cancel', taskId: task.id },
      });
  }
}

function scheduleCommand(command: ConsoleCommand, d: ConsoleKeysDeps) {
  const schedule = d.data.schedules[d.ui.selected.schedules];
  if (!schedule) return;
  if (command === 'toggle-schedule')
    void runPending({ op: 'schedule-enabled', scheduleId: schedule.id, enabled: !schedule.enabled }, d);
  else if (command === 'run-schedule')
    d.dispatch({
      type: 'confirm',
      prompt: `Run ${schedule.name} now? It queues ${schedule.type} on ${schedule.targets} at once. (y/n)`,
      command: { op: 'run-schedule', scheduleId: schedule.id },
    });
  else if (command === 'delete-schedule')
    d.dispatch({
      type: 'confirm',
      prompt: `Delete the schedule ${schedule.name}? The tasks it queued stay. (y/n)`,
      command: { op: 'delete-schedule', scheduleId: schedule.id },
    });
}

function webhookCommand(command: ConsoleCommand, d: ConsoleKeysDeps) {
  const webhook = d.data.webhooks?.[d.ui.selected.webhooks];
  if (!webhook) return;
  if (command === 'toggle-webhook')
    void runPending({ op: 'webhook-enabled', webhookId: webhook.id, enabled: !webhook.enabled }, d);
  else if (command === 'ping-webhook') void runPending({ op: 'ping-webhook', webhookId: webhook.id }, d);
  else if (command === 'redeliver' && webhook.lastFailedDeliveryId)
    void runPending({ op: 'redeliver', deliveryId: webhook.lastFailedDeliveryId }, d);
  else if (command === 'redeliver')
    d.dispatch({
      type: 'status',
      text: `${webhook.name} has no FAILED delivery among its recent ones`,
      tone: 'info',
    });
}

/** A chunk of plain typed characters as single keys; anything else (named keys, Ctrl) as is. */
export function splitTyped(input: string, key: Key): string[] {
  const plain = !key.ctrl && !key.meta && !key.escape && !key.return && /^[\x21-\x7e]{2,}$/.test(input);
  return plain ? [...input] : [input];
}

/** Wires the console's keys; state is read at key time from the ref and the store. */
export function useConsoleKeys(deps: {
  uiRef: RefObject<ConsoleUi>;
  dispatch: Dispatch<ConsoleUiAction>;
  port: ConsolePort;
  store: ConsoleStore;
  isActive: boolean;
}) {
  const handle = (input: string, key: Key) => {
    const d: ConsoleKeysDeps = { ...deps, ui: deps.uiRef.current, data: deps.store.getState() };
    if (d.ui.searching) return handleSearch(input, key, d);
    if (handleOverlay(input, key, d)) return;
    const scopes = d.ui.detail === null ? [d.ui.pane, 'list', 'global'] : ['global'];
    const command = lookupCommand(CONSOLE_KEYMAP, input, key, scopes);
    if (command) runCommand(command, d);
  };
  useInput(
    (input, key) => {
      // Keys typed faster than the terminal is read arrive as one chunk ("jjc"): one command each.
      if (!deps.uiRef.current.searching) for (const ch of splitTyped(input, key)) handle(ch, key);
      else handle(input, key);
    },
    { isActive: deps.isActive },
  );
}
