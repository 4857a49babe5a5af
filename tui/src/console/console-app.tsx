/** @jsxRuntime automatic */
import { Box, Text, useApp } from 'ink';
import { useEffect } from 'react';
import { AuditPane } from '../panes/audit/audit-pane.tsx';
import { DashboardPane } from '../panes/dashboard/dashboard-pane.tsx';
import { HelpOverlay } from '../panes/help/help-overlay.tsx';
import { HostsPane } from '../panes/hosts/hosts-pane.tsx';
import { ImagesPane } from '../panes/images/images-pane.tsx';
import { MulticastPane } from '../panes/multicast/multicast-pane.tsx';
import { SchedulesPane } from '../panes/schedules/schedules-pane.tsx';
import { TasksPane } from '../panes/tasks/tasks-pane.tsx';
import { WebhooksPane } from '../panes/webhooks/webhooks-pane.tsx';
import { sanitizeText } from '../ui/sanitize.ts';
import { stringWidth, truncateToWidth } from '../ui/text-width.ts';
import { useTheme } from '../ui/theme.ts';
import type { Scheduler } from '../ui/throttled-store.ts';
import { useSyncReducer } from '../ui/use-sync-reducer.ts';
import { useTerminalSize } from '../ui/use-terminal-size.ts';
import { CONSOLE_KEYMAP } from './console-keymap.ts';
import type { ConsolePort } from './console-port.ts';
import type { ConsoleData } from './use-console-data.ts';
import { useConsoleFeed } from './use-console-feed.ts';
import { useConsoleKeys } from './use-console-keys.ts';
import { type ConsoleUi, consoleUiReducer, initialConsoleUi, PANES, type Pane } from './use-console-state.ts';

export interface ConsoleAppProps {
  /** The server, behind the console's port. */
  readonly port: ConsolePort;
  /** Who is logged in, shown in the header. */
  readonly username: string;
  /** Fixed size (tests); the terminal's size, tracked on resize, otherwise. */
  readonly size?: { columns: number; rows: number };
  /** Timers for the render throttle (tests). */
  readonly scheduler?: Scheduler;
  /** Pane shown first. @default 'dashboard' */
  readonly initialPane?: Pane;
  /** The viewer's role: the audit log is followed for ADMIN only. @default 'ADMIN' */
  readonly role?: string;
}

const TAB: Record<Pane, string> = {
  dashboard: '[d]ashboard',
  hosts: '[h]osts',
  images: '[i]mages',
  tasks: '[t]asks',
  schedules: '[s]chedules',
  multicast: '[m]ulticast',
  audit: '[a]udit',
  webhooks: 'we[b]hooks',
};
/** Where the long labels leave no room (80 columns): the same tabs in fewer columns. */
const SHORT_TAB: Record<Pane, string> = { ...TAB, schedules: '[s]ched', multicast: '[m]cast' };
const BRAND = 'Brume ';

/** Columns the header's tabs take, each after a space or the `›` of the current one. */
const tabsWidth = (tabs: Record<Pane, string>) => PANES.reduce((n, p) => n + 1 + stringWidth(tabs[p]), 0);

function Header({ ui, username, width }: { ui: ConsoleUi; username: string; width: number }) {
  const theme = useTheme();
  // The full labels when they leave room for a short username.
  const tabs = BRAND.length + tabsWidth(TAB) + 8 <= width ? TAB : SHORT_TAB;
  const room = width - BRAND.length - tabsWidth(tabs);
  return (
    <Text wrap="truncate">
      <Text bold color={theme.color('accent')}>
        {BRAND}
      </Text>
      {PANES.map((p) => (
        <Text key={p} bold={p === ui.pane} inverse={p === ui.pane && !theme.noColor}>
          {p === ui.pane ? `›${tabs[p]}` : ` ${tabs[p]}`}
        </Text>
      ))}
      <Text color={theme.color('muted')}>
        {room >= 5 ? truncateToWidth(`  ${sanitizeText(username)}`, room) : ''}
      </Text>
    </Text>
  );
}

function StatusBar({ ui, data, width }: { ui: ConsoleUi; data: ConsoleData; width: number }) {
  const theme = useTheme();
  const text = data.error
    ? `✗ ${data.error}`
    : ui.status
      ? `${ui.status.tone === 'bad' ? '✗' : '✓'} ${ui.status.text}`
      : '';
  const tone = data.error ? 'bad' : (ui.status?.tone ?? 'muted');
  return (
    <Text wrap="truncate">
      <Text color={theme.color(tone)}>{truncateToWidth(sanitizeText(text), Math.max(0, width - 24))}</Text>
      <Text color={theme.color('muted')}>{text ? '  ' : ''}? help · q quit · Esc back</Text>
    </Text>
  );
}

function Dialog({ ui, width }: { ui: ConsoleUi; width: number }) {
  const theme = useTheme();
  const o = ui.overlay;
  if (o === null || o.kind === 'help') return null;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.color('warn')} width={width}>
      {o.kind === 'quit' && <Text>You started a transfer from this console. Quit anyway? (y/n)</Text>}
      {o.kind === 'confirm' && <Text wrap="wrap">{sanitizeText(o.prompt)}</Text>}
      {o.kind === 'pick' && (
        <>
          <Text bold>{sanitizeText(o.title)} (↑/↓, Enter, Esc)</Text>
          {o.options.map((opt, i) => (
            <Text key={opt.value} inverse={i === o.selected && !theme.noColor} wrap="truncate">
              {`${i === o.selected ? theme.pointer : ' '} ${sanitizeText(opt.label)}`}
            </Text>
          ))}
        </>
      )}
    </Box>
  );
}

function Body({
  ui,
  data,
  width,
  height,
}: {
  ui: ConsoleUi;
  data: ConsoleData;
  width: number;
  height: number;
}) {
  const props = { ui, data, width, height };
  switch (ui.pane) {
    case 'dashboard':
      return <DashboardPane data={data} width={width} height={height} />;
    case 'hosts':
      return <HostsPane {...props} />;
    case 'images':
      return <ImagesPane {...props} />;
    case 'tasks':
      return <TasksPane {...props} />;
    case 'schedules':
      return <SchedulesPane {...props} />;
    case 'multicast':
      return <MulticastPane {...props} />;
    case 'audit':
      return <AuditPane {...props} />;
    case 'webhooks':
      return <WebhooksPane {...props} />;
  }
}

/** The admin console: panes by key, live data, dialogs, help from the keymap. */
export function ConsoleApp({
  port,
  username,
  size,
  scheduler,
  initialPane,
  role = 'ADMIN',
}: ConsoleAppProps) {
  const terminal = useTerminalSize();
  const { columns: width, rows: height } = size ?? terminal;
  const [ui, dispatch, uiRef] = useSyncReducer(consoleUiReducer, initialConsoleUi(initialPane));
  const { data, store } = useConsoleFeed(port, {
    ...(scheduler ? { scheduler } : {}),
    audit: role === 'ADMIN',
  });
  const { exit } = useApp();
  useConsoleKeys({ uiRef, dispatch, port, store, isActive: true });
  useEffect(() => {
    if (ui.quitting) exit();
  }, [ui.quitting, exit]);
  const dialogRows =
    ui.overlay === null || ui.overlay.kind === 'help'
      ? 0
      : ui.overlay.kind === 'pick'
        ? ui.overlay.options.length + 3
        : 4;
  const bodyHeight = Math.max(3, height - 3 - dialogRows);
  return (
    <Box flexDirection="column" width={width} height={height - 1}>
      <Header ui={ui} username={username} width={width} />
      <Box height={bodyHeight} flexDirection="column" overflow="hidden">
        {ui.overlay?.kind === 'help' ? (
          <HelpOverlay keymap={CONSOLE_KEYMAP} width={width} />
        ) : (
          <Body ui={ui} data={data} width={width} height={bodyHeight} />
        )}
      </Box>
      <Dialog ui={ui} width={width} />
      <StatusBar ui={ui} data={data} width={width} />
    </Box>
  );
}
