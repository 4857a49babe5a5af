/** @jsxRuntime automatic */
/**
 * `brume menu --server URL --disk PATH --mac MAC` (to become `brume client` once merged with the
 * agent's headless entry): the client face. A pending task runs at once with the transfer screen;
 * otherwise FOG's boot menu. Exit code 0 for "Boot from hard disk" or a completed task, 1 on
 * failure, 2 on usage errors. Without a terminal: the task's progress as plain lines, or the menu
 * printed and the default row taken.
 */
import { render } from 'ink';
import { HostByMacDocument } from '../api/documents.ts';
import { createApiClient, type Transport } from '../api/graphql-client.ts';
import { runQuery } from '../api/graphql-console-port.ts';
import { createGraphqlOperatorPort } from '../api/graphql-operator-port.ts';
import type { AgentPort, HostStatus } from '../client/agent-port.ts';
import { ClientApp } from '../client/client-app.tsx';
import { loadAgent } from '../client/load-agent.ts';
import { menuHeader, menuRows } from '../client/menu/menu-rows.ts';
import { readTuiEnv } from '../config/tui-env.ts';
import { createLinePrinter } from '../plain/plain-progress.ts';
import { initialTransfer, transferReducer } from '../transfer/use-transfer-state.ts';
import { enterFullScreen } from '../ui/terminal.ts';
import { createTheme, ThemeContext } from '../ui/theme.ts';
import { parseFlags } from './parse-args.ts';

const USAGE =
  'usage: brume menu --server URL --disk PATH --mac MAC [--timeout SECONDS] [--inventory FILE] [--transport auto|ws|sse]\n';

/** Without a terminal: run the pending task with line output, or print the menu and boot from disk. */
async function runPlain(agent: AgentPort, out: NodeJS.WriteStream): Promise<number> {
  const { status, task } = await agent.checkIn();
  if (!task) {
    out.write(
      `${menuHeader(status)}\n${menuRows(status)
        .map((r) => `  ${r.label}`)
        .join('\n')}\n`,
    );
    out.write('No terminal: Boot from hard disk\n');
    return 0;
  }
  let state = initialTransfer(
    `${task.kind}${task.imageName ? ` ${task.imageName}` : ''} → ${agent.diskPath}`,
    Date.now(),
  );
  const printer = createLinePrinter((l) => out.write(l));
  const outcome = await agent.runTask(
    task,
    {
      progress: (counters) => {
        state = transferReducer(state, { type: 'progress', counters, atMs: Date.now() });
        printer.progress(state, Date.now());
      },
      log: (message) => out.write(`${message}\n`),
    },
    new AbortController().signal,
  );
  state = transferReducer(state, {
    type: 'finished',
    outcome: outcome.kind,
    message: outcome.kind === 'failed' ? outcome.reason : null,
    atMs: Date.now(),
  });
  printer.finished(state);
  return outcome.kind === 'complete' ? 0 : 1;
}

export async function menuCli(args: string[]): Promise<number> {
  let values: Record<string, string>;
  try {
    values = parseFlags(args, {
      values: ['server', 'disk', 'mac', 'timeout', 'inventory', 'transport'],
    }).values;
  } catch (e) {
    process.stderr.write(`brume menu: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const env = readTuiEnv();
  const server = values.server ?? env.server;
  const { disk, mac } = values;
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (!server || !disk || !mac || (timeout !== undefined && !Number.isFinite(timeout))) {
    process.stderr.write(`brume menu: --server, --disk and --mac are required\n${USAGE}`);
    return 2;
  }
  const api = createApiClient({
    server,
    token: env.token ?? null,
    transport: (values.transport ?? 'auto') as Transport,
  });
  // Without the agent, an operator token (BRUME_TOKEN) still lets the menu know the host.
  const lookup = env.token
    ? async (m: string): Promise<HostStatus> => {
        const h = (await runQuery(api.client, HostByMacDocument, { mac: m })).hostByMac;
        if (!h) return { kind: 'unregistered' };
        return h.pending
          ? { kind: 'pending', name: h.name, hostId: h.id }
          : { kind: 'registered', name: h.name, hostId: h.id };
      }
    : undefined;
  const agent = await loadAgent(
    { server, mac, diskPath: disk, ...(values.inventory ? { inventoryFile: values.inventory } : {}) },
    lookup,
  );
  try {
    if (!process.stdout.isTTY || !process.stdin.isTTY) return await runPlain(agent, process.stdout);
    let code = 1;
    const screen = enterFullScreen(process.stdout);
    try {
      const app = render(
        <ThemeContext.Provider value={createTheme(env.noColor)}>
          <ClientApp
            agent={agent}
            operatorPort={createGraphqlOperatorPort(api)}
            {...(timeout === undefined ? {} : { timeoutSeconds: timeout })}
            onExit={(c) => {
              code = c;
              setTimeout(() => app.unmount(), c === 0 ? 0 : 3000); // let a failure be read
            }}
          />
        </ThemeContext.Provider>,
      );
      await app.waitUntilExit();
    } finally {
      screen.restore();
    }
    return code;
  } catch (e) {
    process.stderr.write(`brume menu: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    api.close();
    leaveSoon();
  }
}

/**
 * A full-screen program is done once its screen is restored: if a socket or timer still holds the
 * event loop a second later, leave anyway (the timer is unref'd, so it never delays a clean exit).
 */
function leaveSoon(): void {
  setTimeout(() => process.exit(), 1000).unref();
}
