/** @jsxRuntime automatic */
import { Spinner } from '@inkjs/ui';
import { Box, Text, useApp } from 'ink';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { sanitizeText } from '../ui/sanitize.ts';
import { useTheme } from '../ui/theme.ts';
import { useSyncReducer } from '../ui/use-sync-reducer.ts';
import { useTerminalSize } from '../ui/use-terminal-size.ts';
import type { ActionContext } from './actions/action-context.ts';
import { DeployImage } from './actions/deploy-image.tsx';
import { FullRegistration } from './actions/full-registration.tsx';
import { ConfirmHostChange, JoinMulticast, Memtest, QuickRegistration } from './actions/simple-actions.tsx';
import { SystemInfo } from './actions/system-info.tsx';
import type { AgentPort, AgentTask, HostStatus, TaskOutcome } from './agent-port.ts';
import { LoginForm } from './menu/login-form.tsx';
import type { MenuRowId } from './menu/menu-rows.ts';
import { MenuScreen } from './menu/menu-screen.tsx';
import { useMenuKeys } from './menu/use-menu-keys.ts';
import { initialMenu, type MenuState, menuReducer } from './menu/use-menu-state.ts';
import type { OperatorPort } from './operator-port.ts';
import { TaskRunner } from './task-runner.tsx';

export interface ClientAppProps {
  readonly agent: AgentPort;
  readonly operatorPort: OperatorPort;
  /** Menu countdown in seconds; 0 or less waits for a key. @default 3 */
  readonly timeoutSeconds?: number;
  /** Fixed size (tests); the terminal's, tracked on resize, otherwise. */
  readonly size?: { columns: number; rows: number };
  /** Receives the exit code when the client is done (0: boot from disk or task complete). */
  readonly onExit: (code: number) => void;
}

type Phase =
  | { kind: 'checking' }
  | { kind: 'error'; message: string }
  | { kind: 'menu'; status: HostStatus }
  | { kind: 'task'; task: AgentTask };

function ActionScreen({ row, ctx }: { row: MenuRowId; ctx: ActionContext }) {
  switch (row) {
    case 'full-registration':
      return <FullRegistration ctx={ctx} />;
    case 'quick-registration':
      return <QuickRegistration ctx={ctx} />;
    case 'deploy':
      return <DeployImage ctx={ctx} />;
    case 'join-multicast':
      return <JoinMulticast ctx={ctx} />;
    case 'quick-delete':
      return <ConfirmHostChange ctx={ctx} kind="delete" />;
    case 'approve':
      return <ConfirmHostChange ctx={ctx} kind="approve" />;
    case 'system-info':
      return <SystemInfo ctx={ctx} />;
    default:
      return <Memtest ctx={ctx} />;
  }
}

function Menu({
  status,
  props,
  onTask,
}: {
  status: HostStatus;
  props: ClientAppProps;
  onTask: (t: AgentTask) => void;
}) {
  const terminal = useTerminalSize();
  const { columns: width, rows: height } = props.size ?? terminal;
  const [state, dispatch] = useSyncReducer(menuReducer, initialMenu(status, props.timeoutSeconds));
  useMenuKeys(dispatch, state.screen.kind === 'menu');
  useEffect(() => {
    if (state.countdown === null || state.screen.kind !== 'menu') return;
    const t = setTimeout(() => dispatch({ type: 'tick' }), 1000);
    return () => clearTimeout(t);
  }, [state.countdown, state.screen.kind, dispatch]);
  useEffect(() => {
    if (state.screen.kind === 'exit') props.onExit(state.screen.code);
  }, [state.screen, props]);
  const ctx = useActionContext(state, dispatch, props, width, height, onTask);
  const label = state.rows.find((r) => 'row' in state.screen && r.id === state.screen.row)?.label ?? '';
  if (state.screen.kind === 'login') {
    return (
      <LoginForm
        purpose={label}
        error={state.screen.error}
        width={width}
        onCancel={() => dispatch({ type: 'back' })}
        onSubmit={(u, p) =>
          props.operatorPort.login(u, p).then(
            (operator) => dispatch({ type: 'loggedIn', operator }),
            (e) => dispatch({ type: 'loginFailed', message: e instanceof Error ? e.message : String(e) }),
          )
        }
      />
    );
  }
  if (state.screen.kind === 'action') return <ActionScreen row={state.screen.row} ctx={ctx} />;
  return <MenuScreen state={state} width={width} mac={props.agent.mac} />;
}

function useActionContext(
  state: MenuState,
  dispatch: (a: Parameters<typeof menuReducer>[1]) => void,
  props: ClientAppProps,
  width: number,
  height: number,
  onTask: (t: AgentTask) => void,
): ActionContext {
  return useMemo(
    () => ({
      agent: props.agent,
      operatorPort: props.operatorPort,
      operator: state.operator,
      status: state.status,
      width,
      height,
      finish: (notice, status) =>
        status
          ? dispatch({ type: 'status', status, notice })
          : dispatch({ type: 'back', notice: notice || null }),
      run: onTask,
    }),
    [props.agent, props.operatorPort, state.operator, state.status, width, height, dispatch, onTask],
  );
}

/**
 * The client face: checks in; a pending task runs at once (as FOG: no menu); otherwise FOG's boot
 * menu. After a task, the client exits with 0 (complete) or 1.
 */
export function ClientApp(props: ClientAppProps) {
  const theme = useTheme();
  const terminal = useTerminalSize();
  const { columns: width, rows: height } = props.size ?? terminal;
  const [phase, setPhase] = useState<Phase>({ kind: 'checking' });
  const { exit } = useApp();
  useEffect(() => {
    props.agent.checkIn().then(
      (r) => setPhase(r.task ? { kind: 'task', task: r.task } : { kind: 'menu', status: r.status }),
      (e) => setPhase({ kind: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
  }, [props.agent]);
  useEffect(() => {
    if (phase.kind === 'error') props.onExit(1);
  }, [phase, props]);
  const onTask = useCallback((task: AgentTask) => setPhase({ kind: 'task', task }), []);
  const onTaskDone = useCallback(
    (o: TaskOutcome) => {
      props.onExit(o.kind === 'complete' ? 0 : 1);
      exit();
    },
    [props, exit],
  );
  if (phase.kind === 'checking')
    return <Spinner label={`Checking in as ${sanitizeText(props.agent.mac)}…`} />;
  if (phase.kind === 'error') {
    return (
      <Box flexDirection="column">
        <Text color={theme.color('bad')}>{`✗ Check-in failed: ${sanitizeText(phase.message)}`}</Text>
      </Box>
    );
  }
  if (phase.kind === 'task') {
    return (
      <TaskRunner
        agent={props.agent}
        task={phase.task}
        width={width}
        height={height - 1}
        onDone={onTaskDone}
      />
    );
  }
  return <Menu status={phase.status} props={props} onTask={onTask} />;
}
