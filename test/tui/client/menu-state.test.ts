import { describe, expect, it } from 'vitest';
import type { HostStatus } from '../../../tui/src/client/agent-port.ts';
import { menuHeader, menuRows } from '../../../tui/src/client/menu/menu-rows.ts';
import { initialMenu, menuReducer, selectedRow } from '../../../tui/src/client/menu/use-menu-state.ts';

const U: HostStatus = { kind: 'unregistered' };
const P: HostStatus = { kind: 'pending', name: 'lab-01', hostId: 'h1' };
const R: HostStatus = { kind: 'registered', name: 'lab-01', hostId: 'h1' };
const op = { username: 'alice', token: 't' };

describe('FOG boot menu rules', () => {
  it('the header says whether the host is unregistered, pending or registered by name', () => {
    expect(menuHeader(U)).toBe('Host is NOT registered!');
    expect(menuHeader(P)).toBe('Host is pending approval!');
    expect(menuHeader(R)).toBe('Host is registered as lab-01!');
  });

  it('an unregistered host sees the registration rows and no deletion/approval', () => {
    expect(menuRows(U).map((r) => r.label)).toEqual([
      'Boot from hard disk',
      'Run Memtest86+',
      'Perform Full Host Registration and Inventory',
      'Quick Registration and Inventory',
      'Deploy Image',
      'Join Multicast Session',
      'Client System Information (Compatibility)',
    ]);
  });

  it('a registered host sees Quick Host Deletion; a pending host sees Approve This Host', () => {
    const r = menuRows(R).map((x) => x.id);
    expect(r).toContain('quick-delete');
    expect(r).not.toContain('approve');
    expect(r).not.toContain('full-registration');
    const p = menuRows(P).map((x) => x.id);
    expect(p).toContain('approve');
    expect(p).not.toContain('quick-delete');
  });

  it('state-changing rows ask for a login; information rows do not', () => {
    const login = Object.fromEntries(menuRows(R, { debugEnabled: true }).map((r) => [r.id, r.login]));
    expect(login).toMatchObject({
      'boot-disk': false,
      memtest: false,
      deploy: true,
      'join-multicast': true,
      'quick-delete': true,
      'system-info': false,
      debug: true,
    });
    expect(menuRows(R).map((r) => r.id)).not.toContain('debug');
  });
});

describe('menu state machine', () => {
  it('given the menu, Boot from hard disk is selected and the countdown runs it (exit 0)', () => {
    let s = initialMenu(U, 3);
    expect(selectedRow(s)?.label).toBe('Boot from hard disk');
    s = menuReducer(s, { type: 'tick' });
    s = menuReducer(s, { type: 'tick' });
    expect(s.countdown).toBe(1);
    expect(s.screen.kind).toBe('menu');
    s = menuReducer(s, { type: 'tick' });
    expect(s.screen).toEqual({ kind: 'exit', code: 0 });
  });

  it('a key stops the countdown; moving wraps around', () => {
    let s = initialMenu(U, 3);
    s = menuReducer(s, { type: 'move', delta: -1 });
    expect(s.countdown).toBeNull();
    expect(selectedRow(s)?.id).toBe('system-info');
    s = menuReducer(s, { type: 'tick' });
    expect(s.screen.kind).toBe('menu');
  });

  it('choosing a login row without an operator opens the login, then the action after login', () => {
    let s = initialMenu(R, 0);
    while (selectedRow(s)?.id !== 'deploy') s = menuReducer(s, { type: 'move', delta: 1 });
    s = menuReducer(s, { type: 'choose' });
    expect(s.screen).toEqual({ kind: 'login', row: 'deploy', error: null });
    s = menuReducer(s, { type: 'loginFailed', message: 'wrong password' });
    expect(s.screen).toMatchObject({ kind: 'login', error: 'wrong password' });
    s = menuReducer(s, { type: 'loggedIn', operator: op });
    expect(s.screen).toEqual({ kind: 'action', row: 'deploy' });
    s = menuReducer(s, { type: 'back' });
    s = menuReducer(s, { type: 'choose' });
    expect(s.screen).toEqual({ kind: 'action', row: 'deploy' }); // no second login
  });

  it('rows without login open directly', () => {
    let s = initialMenu(U, 0);
    while (selectedRow(s)?.id !== 'quick-registration') s = menuReducer(s, { type: 'move', delta: 1 });
    expect(menuReducer(s, { type: 'choose' }).screen).toEqual({ kind: 'action', row: 'quick-registration' });
  });

  it('when the host state changes (registered), the rows follow and the selection stays valid', () => {
    let s = initialMenu(U, 0);
    while (selectedRow(s)?.id !== 'quick-registration') s = menuReducer(s, { type: 'move', delta: 1 });
    s = menuReducer(s, { type: 'status', status: P, notice: 'Registered as lab-01' });
    expect(s.rows.map((r) => r.id)).toContain('approve');
    expect(selectedRow(s)?.id).toBe('boot-disk');
    expect(s.notice).toBe('Registered as lab-01');
    expect(s.screen.kind).toBe('menu');
  });
});
