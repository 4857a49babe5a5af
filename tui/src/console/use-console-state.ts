/**
 * The console's navigation state: which pane, the back stack for Esc, overlays (help, quit
 * confirmation, confirm/pick dialogs), per-pane selection, the host search. Pure; the data the panes
 * show lives in `use-console-data.ts`.
 */
export const PANES = [
  'dashboard',
  'hosts',
  'images',
  'tasks',
  'schedules',
  'multicast',
  'audit',
  'webhooks',
] as const;
export type Pane = (typeof PANES)[number];

/** A server call waiting for the user's confirmation or choice. */
export type PendingCommand =
  | { op: 'approve'; hostId: string }
  | { op: 'capture'; hostId: string; imageId?: string }
  | { op: 'deploy'; hostIds: readonly string[]; imageId?: string; scheduledAt?: string | null }
  | { op: 'inventory'; hostIds: readonly string[] }
  | { op: 'wake'; hostIds: readonly string[] }
  | { op: 'wipe'; hostId: string; mode?: 'FAST' | 'NORMAL' | 'FULL' }
  | { op: 'cancel'; taskId: string }
  | { op: 'front'; taskId: string }
  | { op: 'protect'; imageId: string; protect: boolean }
  | { op: 'delete-image'; imageId: string }
  | { op: 'delete-version'; imageId: string; versionId?: string }
  | { op: 'use-version'; imageId: string; versionId?: string }
  | { op: 'verify-version'; imageId: string; versionId?: string }
  | { op: 'keep-versions'; imageId: string; keep?: number }
  | { op: 'schedule-enabled'; scheduleId: string; enabled: boolean }
  | { op: 'delete-schedule'; scheduleId: string }
  | { op: 'run-schedule'; scheduleId: string }
  | { op: 'webhook-enabled'; webhookId: string; enabled: boolean }
  | { op: 'ping-webhook'; webhookId: string }
  | { op: 'redeliver'; deliveryId: string }
  | { op: 'collect' }
  | { op: 'import-store' };

export interface PickOption {
  readonly label: string;
  readonly value: string;
}

export type Overlay =
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'confirm'; prompt: string; command: PendingCommand }
  | {
      kind: 'pick';
      title: string;
      options: readonly PickOption[];
      selected: number;
      command: PendingCommand;
    };

export interface ConsoleUi {
  readonly pane: Pane;
  readonly backStack: readonly Pane[];
  readonly overlay: Overlay | null;
  readonly selected: Readonly<Record<Pane, number>>;
  /** Row whose detail is open in the current pane (host inventory, task block map). */
  readonly detail: string | null;
  readonly search: string;
  readonly searching: boolean;
  /** Hosts marked in the hosts pane: deploy, inventory and wake act on all of them. */
  readonly marked: readonly string[];
  /** Set once this console started a capture/deploy/wipe: `q` then asks before quitting. */
  readonly startedTransfer: boolean;
  readonly quitting: boolean;
  /** Last result line (success or error) shown in the status bar. */
  readonly status: { text: string; tone: 'good' | 'bad' | 'info' } | null;
}

export type ConsoleUiAction =
  | { type: 'go'; pane: Pane }
  | { type: 'back' }
  | { type: 'move'; delta: number; count: number }
  | { type: 'open'; id: string }
  | { type: 'help' }
  | { type: 'quit' }
  | { type: 'confirm'; prompt: string; command: PendingCommand }
  | { type: 'pick'; title: string; options: readonly PickOption[]; command: PendingCommand }
  | { type: 'pickMove'; delta: number }
  | { type: 'closeOverlay' }
  | { type: 'searchStart' }
  | { type: 'searchInput'; text: string }
  | { type: 'searchEnd' }
  | { type: 'mark'; id: string }
  | { type: 'markAll'; ids: readonly string[] }
  | { type: 'clearMarks' }
  | { type: 'started'; transfer: boolean }
  | { type: 'status'; text: string; tone: 'good' | 'bad' | 'info' };

export function initialConsoleUi(pane: Pane = 'dashboard'): ConsoleUi {
  return {
    pane,
    backStack: [],
    overlay: null,
    selected: {
      dashboard: 0,
      hosts: 0,
      images: 0,
      tasks: 0,
      schedules: 0,
      multicast: 0,
      audit: 0,
      webhooks: 0,
    },
    detail: null,
    search: '',
    searching: false,
    marked: [],
    startedTransfer: false,
    quitting: false,
    status: null,
  };
}

export function consoleUiReducer(s: ConsoleUi, a: ConsoleUiAction): ConsoleUi {
  switch (a.type) {
    case 'go':
      if (a.pane === s.pane && s.detail === null) return { ...s, overlay: null };
      return {
        ...s,
        pane: a.pane,
        backStack: [...s.backStack, s.pane].slice(-20),
        overlay: null,
        detail: null,
        searching: false,
      };
    case 'back': {
      if (s.overlay !== null) return { ...s, overlay: null };
      if (s.searching) return { ...s, searching: false, search: '' };
      if (s.detail !== null) return { ...s, detail: null };
      const previous = s.backStack.at(-1);
      return previous === undefined ? s : { ...s, pane: previous, backStack: s.backStack.slice(0, -1) };
    }
    case 'move': {
      if (a.count <= 0) return s;
      const next = Math.min(a.count - 1, Math.max(0, s.selected[s.pane] + a.delta));
      return { ...s, selected: { ...s.selected, [s.pane]: next } };
    }
    case 'open':
      return { ...s, detail: a.id };
    case 'help':
      return { ...s, overlay: s.overlay?.kind === 'help' ? null : { kind: 'help' } };
    case 'quit':
      if (s.overlay?.kind === 'quit' || !s.startedTransfer) return { ...s, quitting: true };
      return { ...s, overlay: { kind: 'quit' } };
    case 'confirm':
      return { ...s, overlay: { kind: 'confirm', prompt: a.prompt, command: a.command } };
    case 'pick':
      return a.options.length === 0
        ? { ...s, status: { text: `${a.title}: nothing to choose from`, tone: 'bad' } }
        : {
            ...s,
            overlay: { kind: 'pick', title: a.title, options: a.options, selected: 0, command: a.command },
          };
    case 'pickMove': {
      if (s.overlay?.kind !== 'pick') return s;
      const n = s.overlay.options.length;
      return { ...s, overlay: { ...s.overlay, selected: (((s.overlay.selected + a.delta) % n) + n) % n } };
    }
    case 'closeOverlay':
      return { ...s, overlay: null };
    case 'searchStart':
      return { ...s, searching: true };
    case 'searchInput':
      return { ...s, search: a.text, selected: { ...s.selected, hosts: 0 } };
    case 'searchEnd':
      return { ...s, searching: false };
    case 'mark':
      return {
        ...s,
        marked: s.marked.includes(a.id) ? s.marked.filter((m) => m !== a.id) : [...s.marked, a.id],
      };
    case 'markAll': {
      // All shown already marked: unmark them; otherwise mark the rest.
      const all = a.ids.every((id) => s.marked.includes(id));
      return {
        ...s,
        marked: all
          ? s.marked.filter((m) => !a.ids.includes(m))
          : [...s.marked, ...a.ids.filter((id) => !s.marked.includes(id))],
      };
    }
    case 'clearMarks':
      return { ...s, marked: [] };
    case 'started':
      return { ...s, startedTransfer: s.startedTransfer || a.transfer };
    case 'status':
      return { ...s, status: { text: a.text, tone: a.tone } };
  }
}
