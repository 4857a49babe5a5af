/**
 * FOG's boot menu, as data: the header by host state, and which rows each state sees, with whether
 * a login is asked first. Labels are FOG's, word for word (`reference/fog.md`).
 */
import type { HostStatus } from '../agent-port.ts';

export type MenuRowId =
  | 'boot-disk'
  | 'memtest'
  | 'full-registration'
  | 'quick-registration'
  | 'deploy'
  | 'join-multicast'
  | 'quick-delete'
  | 'system-info'
  | 'approve'
  | 'debug';

export interface MenuRow {
  readonly id: MenuRowId;
  readonly label: string;
  /** State-changing rows ask for an operator login first. */
  readonly login: boolean;
}

type Seen = 'unregistered' | 'registered' | 'pending';
const ALL: readonly Seen[] = ['unregistered', 'registered', 'pending'];

const ROWS: readonly (MenuRow & { seenBy: readonly Seen[]; optional?: true })[] = [
  { id: 'boot-disk', label: 'Boot from hard disk', login: false, seenBy: ALL },
  { id: 'memtest', label: 'Run Memtest86+', login: false, seenBy: ALL },
  {
    id: 'full-registration',
    label: 'Perform Full Host Registration and Inventory',
    login: false,
    seenBy: ['unregistered'],
  },
  {
    id: 'quick-registration',
    label: 'Quick Registration and Inventory',
    login: false,
    seenBy: ['unregistered'],
  },
  { id: 'deploy', label: 'Deploy Image', login: true, seenBy: ALL },
  { id: 'join-multicast', label: 'Join Multicast Session', login: true, seenBy: ALL },
  { id: 'quick-delete', label: 'Quick Host Deletion', login: true, seenBy: ['registered'] },
  { id: 'system-info', label: 'Client System Information (Compatibility)', login: false, seenBy: ALL },
  { id: 'approve', label: 'Approve This Host', login: true, seenBy: ['pending'] },
  { id: 'debug', label: 'Debug Mode', login: true, seenBy: ALL, optional: true },
];

/** The default row, chosen when the countdown ends. */
export const DEFAULT_ROW: MenuRowId = 'boot-disk';

export function menuHeader(status: HostStatus): string {
  switch (status.kind) {
    case 'unregistered':
      return 'Host is NOT registered!';
    case 'pending':
      return 'Host is pending approval!';
    case 'registered':
      return `Host is registered as ${status.name}!`;
  }
}

export interface MenuOptions {
  /** Show FOG's optional Debug Mode row. @default false */
  readonly debugEnabled?: boolean;
}

/** The rows this host sees, in FOG's order. */
export function menuRows(status: HostStatus, options: MenuOptions = {}): MenuRow[] {
  return ROWS.filter(
    (r) => r.seenBy.includes(status.kind) && (!r.optional || options.debugEnabled === true),
  ).map(({ id, label, login }) => ({ id, label, login }));
}
