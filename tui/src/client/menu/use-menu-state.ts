/**
 * The boot menu as a pure state machine: host state → rows; selection; the countdown to the default
 * row; login gating of state-changing rows. The view and the key handler only dispatch actions.
 */
import type { HostStatus } from '../agent-port.ts';
import { DEFAULT_ROW, type MenuOptions, type MenuRow, type MenuRowId, menuRows } from './menu-rows.ts';

/** An operator who logged in at this menu; the token authorizes the state-changing rows. */
export interface Operator {
  readonly username: string;
  readonly token: string;
}

export type MenuScreen =
  | { readonly kind: 'menu' }
  | { readonly kind: 'login'; readonly row: MenuRowId; readonly error: string | null }
  | { readonly kind: 'action'; readonly row: MenuRowId }
  | { readonly kind: 'exit'; readonly code: number };

export interface MenuState {
  readonly status: HostStatus;
  readonly options: MenuOptions;
  readonly rows: readonly MenuRow[];
  readonly selected: number;
  /** Seconds left before the default row runs; `null` once a key stopped it (or never started). */
  readonly countdown: number | null;
  readonly screen: MenuScreen;
  readonly operator: Operator | null;
  /** One line shown under the menu (result of the last action). */
  readonly notice: string | null;
}

export type MenuAction =
  | { type: 'move'; delta: number }
  | { type: 'tick' }
  | { type: 'choose' }
  | { type: 'loggedIn'; operator: Operator }
  | { type: 'loginFailed'; message: string }
  | { type: 'back'; notice?: string | null }
  | { type: 'status'; status: HostStatus; notice?: string | null };

/** FOG's default menu timeout. */
export const DEFAULT_TIMEOUT_SECONDS = 3;

export function initialMenu(
  status: HostStatus,
  timeoutSeconds = DEFAULT_TIMEOUT_SECONDS,
  options: MenuOptions = {},
): MenuState {
  const rows = menuRows(status, options);
  return {
    status,
    options,
    rows,
    selected: Math.max(
      0,
      rows.findIndex((r) => r.id === DEFAULT_ROW),
    ),
    countdown: timeoutSeconds > 0 ? timeoutSeconds : null,
    screen: { kind: 'menu' },
    operator: null,
    notice: null,
  };
}

export function selectedRow(s: MenuState): MenuRow | undefined {
  return s.rows[s.selected];
}

function open(s: MenuState, row: MenuRow): MenuState {
  const base = { ...s, countdown: null, notice: null };
  if (row.id === 'boot-disk') return { ...base, screen: { kind: 'exit', code: 0 } };
  if (row.login && s.operator === null)
    return { ...base, screen: { kind: 'login', row: row.id, error: null } };
  return { ...base, screen: { kind: 'action', row: row.id } };
}

export function menuReducer(s: MenuState, a: MenuAction): MenuState {
  switch (a.type) {
    case 'move': {
      if (s.screen.kind !== 'menu' || s.rows.length === 0) return s;
      const n = s.rows.length;
      return { ...s, countdown: null, selected: (((s.selected + a.delta) % n) + n) % n };
    }
    case 'tick': {
      if (s.countdown === null || s.screen.kind !== 'menu') return s;
      if (s.countdown > 1) return { ...s, countdown: s.countdown - 1 };
      const def = s.rows.find((r) => r.id === DEFAULT_ROW);
      return def ? open({ ...s, countdown: 0 }, def) : { ...s, countdown: null };
    }
    case 'choose': {
      const row = selectedRow(s);
      return s.screen.kind === 'menu' && row ? open(s, row) : s;
    }
    case 'loggedIn': {
      if (s.screen.kind !== 'login') return { ...s, operator: a.operator };
      return { ...s, operator: a.operator, screen: { kind: 'action', row: s.screen.row } };
    }
    case 'loginFailed':
      return s.screen.kind === 'login' ? { ...s, screen: { ...s.screen, error: a.message } } : s;
    case 'back':
      return { ...s, screen: { kind: 'menu' }, notice: a.notice ?? null };
    case 'status': {
      const rows = menuRows(a.status, s.options);
      const current = selectedRow(s)?.id;
      const kept = rows.findIndex((r) => r.id === current);
      return {
        ...s,
        status: a.status,
        rows,
        selected:
          kept >= 0
            ? kept
            : Math.max(
                0,
                rows.findIndex((r) => r.id === DEFAULT_ROW),
              ),
        screen: { kind: 'menu' },
        notice: a.notice ?? null,
      };
    }
  }
}
