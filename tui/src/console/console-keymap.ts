/**
 * The console's one keymap. The key handler looks commands up here and the `?` help screen is
 * generated from it. Global pane letters are never reused inside a pane.
 */
import type { Keymap } from '../ui/keymap.ts';

export type ConsoleCommand =
  | 'pane-dashboard'
  | 'pane-hosts'
  | 'pane-images'
  | 'pane-tasks'
  | 'pane-schedules'
  | 'pane-multicast'
  | 'pane-audit'
  | 'pane-webhooks'
  | 'help'
  | 'quit'
  | 'back'
  | 'up'
  | 'down'
  | 'open'
  | 'search'
  | 'approve'
  | 'mark'
  | 'mark-all'
  | 'capture'
  | 'deploy'
  | 'inventory'
  | 'wake'
  | 'wipe'
  | 'cancel'
  | 'front'
  | 'protect'
  | 'delete'
  | 'delete-version'
  | 'use-version'
  | 'keep-versions'
  | 'verify-version'
  | 'collect'
  | 'import-store'
  | 'toggle-schedule'
  | 'delete-schedule'
  | 'run-schedule'
  | 'toggle-webhook'
  | 'ping-webhook'
  | 'redeliver';

export const CONSOLE_KEYMAP: Keymap<ConsoleCommand> = [
  { keys: ['d'], command: 'pane-dashboard', help: 'dashboard', scope: 'global' },
  { keys: ['h'], command: 'pane-hosts', help: 'hosts', scope: 'global' },
  { keys: ['i'], command: 'pane-images', help: 'images', scope: 'global' },
  { keys: ['t'], command: 'pane-tasks', help: 'tasks', scope: 'global' },
  { keys: ['s'], command: 'pane-schedules', help: 'schedules', scope: 'global' },
  { keys: ['m'], command: 'pane-multicast', help: 'multicast', scope: 'global' },
  { keys: ['a'], command: 'pane-audit', help: 'audit', scope: 'global' },
  { keys: ['b'], command: 'pane-webhooks', help: 'webhooks', scope: 'global' },
  { keys: ['?'], command: 'help', help: 'help', scope: 'global' },
  { keys: ['q'], command: 'quit', help: 'quit (asks first if you started a transfer)', scope: 'global' },
  { keys: ['escape'], command: 'back', help: 'back / close', scope: 'global' },
  { keys: ['up', 'k'], command: 'up', help: 'up', scope: 'list' },
  { keys: ['down', 'j'], command: 'down', help: 'down', scope: 'list' },
  { keys: ['return'], command: 'open', help: 'details (host inventory, task block map)', scope: 'list' },
  { keys: ['/'], command: 'search', help: 'search hosts by name or MAC', scope: 'hosts' },
  { keys: ['p'], command: 'approve', help: 'approve the pending host', scope: 'hosts' },
  {
    keys: [' '],
    command: 'mark',
    help: 'mark / unmark: l, n and o then act on every marked host',
    scope: 'hosts',
  },
  { keys: ['*'], command: 'mark-all', help: 'mark every host shown (again: unmark)', scope: 'hosts' },
  { keys: ['c'], command: 'capture', help: 'start a capture into an image', scope: 'hosts' },
  { keys: ['l'], command: 'deploy', help: 'deploy (load) an image', scope: 'hosts' },
  { keys: ['n'], command: 'inventory', help: 'queue a hardware inventory', scope: 'hosts' },
  { keys: ['o'], command: 'wake', help: 'wake the machine (Wake-on-LAN)', scope: 'hosts' },
  { keys: ['w'], command: 'wipe', help: 'wipe the disk (fast / normal / full)', scope: 'hosts' },
  { keys: ['x'], command: 'cancel', help: "cancel the host's active task", scope: 'hosts' },
  { keys: ['p'], command: 'protect', help: 'protect / unprotect', scope: 'images' },
  { keys: ['x'], command: 'delete', help: 'delete (refused when protected)', scope: 'images' },
  { keys: ['v'], command: 'delete-version', help: 'delete an older version (pick)', scope: 'images' },
  { keys: ['u'], command: 'use-version', help: 'make another version current (pick)', scope: 'images' },
  { keys: ['k'], command: 'keep-versions', help: 'versions kept after each capture (pick)', scope: 'images' },
  {
    keys: ['y'],
    command: 'verify-version',
    help: "verify a version's chunks",
    scope: 'images',
  },
  { keys: ['g'], command: 'collect', help: 'collect store garbage (ADMIN)', scope: 'dashboard' },
  {
    keys: ['r'],
    command: 'import-store',
    help: 'import store images (ADMIN)',
    scope: 'dashboard',
  },
  { keys: ['x'], command: 'cancel', help: 'cancel the selected task', scope: 'tasks' },
  {
    keys: ['f'],
    command: 'front',
    help: 'move a waiting deploy/capture to the front of the line',
    scope: 'tasks',
  },
  { keys: ['e'], command: 'toggle-schedule', help: 'enable / disable the schedule', scope: 'schedules' },
  { keys: ['r'], command: 'run-schedule', help: 'run the schedule once now', scope: 'schedules' },
  {
    keys: ['x'],
    command: 'delete-schedule',
    help: 'delete the schedule (its tasks stay)',
    scope: 'schedules',
  },
  { keys: ['e'], command: 'toggle-webhook', help: 'enable / disable', scope: 'webhooks' },
  { keys: ['p'], command: 'ping-webhook', help: 'send a PING', scope: 'webhooks' },
  {
    keys: ['r'],
    command: 'redeliver',
    help: 'redeliver its last FAILED',
    scope: 'webhooks',
  },
];
