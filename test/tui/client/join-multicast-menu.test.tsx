/**
 * Join Multicast Session from the boot menu, against a real server: the real client agent checks in
 * by MAC (it learns no host id), the operator logs in through the menu, the session name is typed,
 * the server's typed refusals read as sentences, and a join hands the new MULTICAST task to the
 * transfer screen like any pending task.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../tui/src/agent/index.ts';
import { type ApiClient, createApiClient } from '../../../tui/src/api/graphql-client.ts';
import { createGraphqlOperatorPort } from '../../../tui/src/api/graphql-operator-port.ts';
import { ClientApp } from '../../../tui/src/client/client-app.tsx';
import { createTheme, ThemeContext } from '../../../tui/src/ui/theme.ts';
import { makeHost, makeImage, system } from '../../server/tasks/task-fixtures.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { settle, waitFor as waitUntil } from '../support/wait-for.ts';

const DOWN = '\x1b[B';
let t: TestApp;
let server: string;
let work: string;
let operator: { username: string; password: string };
const apis: ApiClient[] = [];
let app: ReturnType<typeof render> | null = null;

beforeAll(async () => {
  t = await startTestApp({ BRUME_MULTICAST_LATE_JOIN_SECONDS: '60' });
  server = (await t.listen()).url.replace(/\/graphql$/, '');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'brume-tui-join-'));
  const { user, password } = await t.createUser('OPERATOR');
  operator = { username: user.username, password };
});
afterEach(() => {
  app?.unmount();
  app = null;
});
afterAll(async () => {
  for (const api of apis) api.close();
  await t?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const frame = () => app?.lastFrame() ?? '';

/** `waitFor` whose failure shows the last frame. */
function waitFor(check: () => boolean, what: string, timeoutMs?: number): Promise<void> {
  return waitUntil(check, what, timeoutMs).catch((e: Error) => {
    throw new Error(`${e.message}; the screen was:\n${frame()}`);
  });
}

/** The client face for a registered host's MAC, with the real agent and the GraphQL operator port. */
async function startMenu() {
  const host = await makeHost(t, 'JOIN');
  const mac = host.macs[0] ?? '';
  const disk = path.join(work, `${host.name}.img`);
  fs.writeFileSync(disk, Buffer.alloc(1 << 20));
  const agent = new Agent({ server, mac, diskPath: disk, stateDir: path.join(work, host.name) });
  const api = createApiClient({ server });
  apis.push(api);
  const exits: number[] = [];
  app = render(
    <ThemeContext.Provider value={createTheme(true)}>
      <ClientApp
        agent={agent}
        operatorPort={createGraphqlOperatorPort(api)}
        timeoutSeconds={0}
        size={{ columns: 80, rows: 24 }}
        onExit={(c) => exits.push(c)}
      />
    </ThemeContext.Provider>,
  );
  await waitFor(() => frame().includes(`registered as ${host.name}`), 'menu', 15_000);
  return { host, stdin: app.stdin, exits };
}

/**
 * Types a line into the input on screen, then presses Enter until `next` shows. On a loaded
 * machine Ink's input listeners lag its frames: keys sent early are lost, and an Enter right after
 * the text echoes can meet the listener of the frame before (an empty value, ignored).
 */
async function submit(stdin: { write(s: string): void }, text: string, next: string, secret = false) {
  const echo = secret ? '*'.repeat(text.length) : text;
  for (let attempt = 0; attempt < 3 && !frame().includes(echo); attempt++) {
    await settle(150);
    stdin.write(text);
    await waitUntil(() => frame().includes(echo), 'typed text', 5000).catch(() => undefined);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    await settle(200);
    stdin.write('\r');
    if (
      await waitUntil(() => frame().includes(next), next, 5000).then(
        () => true,
        () => false,
      )
    )
      return;
  }
  await waitFor(() => frame().includes(next), next, 5000);
}

/** Menu → Join Multicast Session → operator login → the session name prompt. */
async function openJoin(stdin: { write(s: string): void }) {
  for (let i = 0; i < 12 && !frame().includes('› Join Multicast Session'); i++) {
    const before = frame();
    stdin.write(DOWN);
    await waitUntil(() => frame() !== before, 'redraw', 3000).catch(() => undefined);
  }
  await submit(stdin, '', 'Username');
  await waitFor(() => frame().includes('Username'), 'login', 15_000);
  await submit(stdin, operator.username, 'Password');
  await submit(stdin, operator.password, 'Session name:', true);
}

async function session(name: string) {
  const image = await makeImage(t, { withVersion: true });
  const row = await t.app.services.multicast.createMulticastSession(
    { name, imageId: image.id, minReceivers: 2, maxWaitSeconds: 300 },
    system,
  );
  return { image, row };
}

describe('client face: Join Multicast Session against a running server', () => {
  it('Given no session of that name or a cancelled one, then the menu says so in words and no task is made', async () => {
    const closed = await session('closed-room');
    await t.app.services.multicast.cancelMulticastSession(closed.row.id);
    const { host, stdin } = await startMenu();
    await openJoin(stdin);

    await submit(stdin, 'nobody-here', 'No multicast session named "nobody-here"');
    await waitFor(() => frame().includes('Session name:'), 'prompt again', 15_000);
    await submit(stdin, 'closed-room', 'Multicast session "closed-room" was cancelled');
    await waitFor(
      () => frame().includes('Multicast session "closed-room" was cancelled'),
      'finished',
      10_000,
    );

    expect(await t.app.services.tasks.countTasks({ hostId: host.id })).toBe(0);
  });

  it('Given a waiting session, when the operator types its name, then the host joins and its MULTICAST task runs', async () => {
    const open = await session('labo-7');
    const { host, stdin } = await startMenu();
    await openJoin(stdin);

    await submit(stdin, 'LABO-7', `MULTICAST ${open.image.name}`);

    // The server made the host's MULTICAST task and receiver row; the menu handed it to the
    // transfer screen (its outcome is the agent's business, tested with the agent).
    await waitFor(() => frame().includes(`MULTICAST ${open.image.name}`), 'transfer screen', 15_000);
    expect(frame()).not.toContain('Session name:');
    expect(await t.app.services.tasks.countTasks({ hostId: host.id })).toBe(1);
  });
});
