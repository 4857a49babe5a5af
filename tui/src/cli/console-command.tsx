/** @jsxRuntime automatic */
/**
 * `brume console --server URL`: the admin console. Token from `BRUME_TOKEN`, else the one stored
 * for this server, else a login screen (the new token is stored, 0600). Full screen on a terminal;
 * plain lines when stdout is not a TTY.
 */
import { render } from 'ink';
import { LoginDocument, ViewerDocument } from '../api/documents.ts';
import { createApiClient, type Transport } from '../api/graphql-client.ts';
import { createGraphqlConsolePort, runMutation, runQuery } from '../api/graphql-console-port.ts';
import { TokenStore } from '../api/token-store.ts';
import { readTuiEnv } from '../config/tui-env.ts';
import { ConsoleApp } from '../console/console-app.tsx';
import { LoginScreen } from '../console/login-screen.tsx';
import { printConsoleSnapshot } from '../plain/plain-console.ts';
import { enterFullScreen } from '../ui/terminal.ts';
import { createTheme, ThemeContext } from '../ui/theme.ts';
import { parseFlags, UsageError } from './parse-args.ts';

const USAGE = 'usage: brume console --server URL [--transport auto|ws|sse] [--follow]\n';

async function loginInteractively(
  api: ReturnType<typeof createApiClient>,
  server: string,
  theme: ReturnType<typeof createTheme>,
) {
  let token: string | null = null;
  const app = render(
    <ThemeContext.Provider value={theme}>
      <LoginScreen
        server={server}
        login={async (username, password) => {
          const r = (await runMutation(api.client, LoginDocument, { username, password })).login;
          if (r.__typename !== 'LoginSuccess' || !r.token) throw new Error(r.message ?? 'login refused');
          token = r.token;
          app.unmount();
        }}
      />
    </ThemeContext.Provider>,
  );
  await app.waitUntilExit();
  return token as string | null;
}

export async function consoleCli(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(args, { values: ['server', 'transport'], booleans: ['follow'] });
  } catch (e) {
    process.stderr.write(`brume console: ${(e as UsageError).message}\n${USAGE}`);
    return 2;
  }
  const env = readTuiEnv();
  const server = parsed.values.server ?? env.server;
  const transport = (parsed.values.transport ?? 'auto') as Transport;
  if (!server || !['auto', 'ws', 'sse'].includes(transport)) {
    process.stderr.write(`brume console: ${server ? 'bad --transport' : '--server is required'}\n${USAGE}`);
    return 2;
  }
  const store = new TokenStore();
  const api = createApiClient({ server, token: env.token ?? (await store.get(server)), transport });
  const theme = createTheme(env.noColor);
  const interactive = Boolean(process.stdout.isTTY && process.stdin.isTTY);
  try {
    let viewer = (await runQuery(api.client, ViewerDocument, {})).viewer;
    if (!viewer) {
      if (!interactive)
        throw new UsageError('not logged in: set BRUME_TOKEN, or run brume console in a terminal to log in');
      const token = await loginInteractively(api, server, theme);
      if (!token) return 1;
      await store.set(server, token);
      api.setToken(token);
      viewer = (await runQuery(api.client, ViewerDocument, {})).viewer;
    }
    const port = createGraphqlConsolePort(api.client, api);
    if (!interactive) return await printConsoleSnapshot(port, process.stdout, parsed.flags.has('follow'));
    const screen = enterFullScreen(process.stdout);
    try {
      const app = render(
        <ThemeContext.Provider value={theme}>
          <ConsoleApp port={port} username={viewer?.username ?? '?'} role={viewer?.role ?? 'VIEWER'} />
        </ThemeContext.Provider>,
      );
      await app.waitUntilExit();
    } finally {
      screen.restore();
    }
    return 0;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(
      `brume console: ${/fetch failed|ECONNREFUSED/.test(message) ? `cannot reach ${server}` : message}\n`,
    );
    return e instanceof UsageError ? 2 : 1;
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
