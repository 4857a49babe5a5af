import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientApp } from '../../../tui/src/client/client-app.tsx';
import { createTheme, ThemeContext } from '../../../tui/src/ui/theme.ts';
import { MemoryAgent, MemoryOperatorPort } from '../support/memory-client-ports.ts';
import { settle, waitFor } from '../support/wait-for.ts';

const DOWN = '\x1b[B';
let app: ReturnType<typeof render> | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});
const frame = () => app?.lastFrame() ?? '';

function start(agent: MemoryAgent, ops = new MemoryOperatorPort(), timeoutSeconds = 0) {
  const exits: number[] = [];
  app = render(
    <ThemeContext.Provider value={createTheme(true)}>
      <ClientApp
        agent={agent}
        operatorPort={ops}
        timeoutSeconds={timeoutSeconds}
        size={{ columns: 80, rows: 24 }}
        onExit={(c) => exits.push(c)}
      />
    </ThemeContext.Provider>,
  );
  return { exits, stdin: app.stdin, ops };
}

/** Types a line once the input is mounted (keys sent before an input mounts are lost). */
async function typeLine(stdin: { write(s: string): void }, text: string) {
  await settle(120);
  stdin.write(text);
  await settle(120);
  stdin.write('\r');
}

async function choose(stdin: { write(s: string): void }, label: string) {
  for (let i = 0; i < 12 && !frame().includes(`› ${label}`); i++) {
    stdin.write(DOWN);
    await settle(40);
  }
  expect(frame()).toContain(`› ${label}`);
  stdin.write('\r');
}

describe('client face: FOG boot menu', () => {
  it('given an unregistered MAC, shows the NOT registered header and the countdown boots from disk (exit 0)', async () => {
    const { exits } = start(new MemoryAgent(), undefined, 1);
    await waitFor(() => frame().includes('Host is NOT registered!'), 'menu');
    expect(frame()).toContain('› Boot from hard disk');
    expect(frame()).toContain('Quick Registration and Inventory');
    await waitFor(() => exits.length > 0, 'countdown exit', 3000);
    expect(exits).toEqual([0]);
  });

  it('quick registration sends the inventory and the menu then says pending approval', async () => {
    const agent = new MemoryAgent();
    const { stdin } = start(agent);
    await waitFor(() => frame().includes('NOT registered'), 'menu');
    await choose(stdin, 'Quick Registration and Inventory');
    await waitFor(() => frame().includes('Host is pending approval!'), 'pending header');
    expect(agent.registrations[0]?.inventory.systemManufacturer).toBe('QEMU');
    expect(frame()).toContain('Approve This Host');
  });

  it('full registration refuses a bad hostname locally and a taken one from the server', async () => {
    const agent = new MemoryAgent();
    agent.takenNames.add('lab-01');
    const ops = new MemoryOperatorPort();
    ops.images = [];
    const { stdin } = start(agent, ops);
    await waitFor(() => frame().includes('NOT registered'), 'menu');
    await choose(stdin, 'Perform Full Host Registration and Inventory');
    await waitFor(() => frame().includes('Hostname:'), 'name prompt');
    await typeLine(stdin, 'bad name!');
    await waitFor(() => frame().includes('1 to 15 letters'), 'local rule');
    await typeLine(stdin, 'lab-01');
    await waitFor(() => frame().includes('is taken'), 'server refusal');
    await typeLine(stdin, 'lab-02');
    await waitFor(() => frame().includes('Host is pending approval!'), 'registered');
    expect(agent.registrations.map((r) => r.name)).toEqual(['lab-02']);
  });

  it('Approve This Host asks for a login first, refuses a wrong password, then approves', async () => {
    const agent = new MemoryAgent();
    agent.status = { kind: 'pending', name: 'lab-01', hostId: 'h1' };
    const { stdin, ops } = start(agent);
    await waitFor(() => frame().includes('pending approval'), 'menu');
    await choose(stdin, 'Approve This Host');
    await waitFor(() => frame().includes('operator login'), 'login');
    await typeLine(stdin, 'alice');
    await waitFor(() => frame().includes('Password'), 'password prompt');
    await typeLine(stdin, 'nope');
    await waitFor(() => frame().includes('wrong username or password'), 'refusal');
    await typeLine(stdin, 'alice');
    await waitFor(() => frame().includes('Password'), 'password prompt');
    await typeLine(stdin, 'secret');
    await waitFor(() => frame().includes('Approve lab-01?'), 'confirm');
    await settle(60);
    stdin.write('y');
    await waitFor(() => frame().includes('Host is registered as lab-01!'), 'registered header');
    expect(ops.calls).toEqual(['approve h1']);
  });

  it('deploy: pick, confirm shows the target disk model, serial and size, then the transfer screen reaches 100%', async () => {
    const agent = new MemoryAgent();
    agent.status = { kind: 'registered', name: 'lab-01', hostId: 'h1' };
    const ops = new MemoryOperatorPort();
    ops.onDeploy = () => {
      agent.task = { id: 't1', kind: 'DEPLOY', imageName: 'win11' };
    };
    const { stdin, exits } = start(agent, ops);
    await waitFor(() => frame().includes('registered as lab-01'), 'menu');
    await choose(stdin, 'Deploy Image');
    await waitFor(() => frame().includes('Username'), 'login');
    await typeLine(stdin, 'alice');
    await settle();
    await typeLine(stdin, 'secret');
    await waitFor(() => frame().includes('win11 (WINDOWS_11)'), 'image list');
    await settle();
    stdin.write('\r');
    await waitFor(() => frame().includes('QEMU HARDDISK'), 'confirmation');
    expect(frame()).toContain('QM00001');
    expect(frame()).toContain('64 GiB');
    await settle(60);
    stdin.write('y');
    await waitFor(() => frame().includes('✓ complete'), 'transfer done', 5000);
    expect(frame()).toContain('100.0%');
    expect(frame()).toContain('20 MiB / 20 MiB');
    for (const l of frame().split('\n')) expect(stringWidth(l)).toBeLessThanOrEqual(80);
    stdin.write('\r');
    await waitFor(() => exits.length > 0, 'exit');
    expect(exits).toEqual([0]);
  });

  it('a host with a pending task skips the menu and runs it', async () => {
    const agent = new MemoryAgent();
    agent.status = { kind: 'registered', name: 'lab-01', hostId: 'h1' };
    agent.task = { id: 't9', kind: 'CAPTURE', imageName: 'ref' };
    start(agent);
    await waitFor(() => frame().includes('CAPTURE ref'), 'transfer screen');
    expect(frame()).not.toContain('Boot from hard disk');
    await waitFor(() => frame().includes('✓ complete'), 'done', 5000);
  });

  it('a task waiting for a unicast slot says so on the transfer screen, then runs', async () => {
    const agent = new MemoryAgent();
    agent.status = { kind: 'registered', name: 'lab-02', hostId: 'h2' };
    agent.task = { id: 't10', kind: 'DEPLOY', imageName: 'win11', inLine: { ahead: 1, busy: 10, slots: 10 } };
    agent.notices = [
      'In line for a unicast slot: 1 before this machine, 10 of 10 slots busy',
      'a unicast slot is free: starting',
    ];
    start(agent);
    await waitFor(() => frame().includes('In line for a unicast slot: 1 before this machine'), 'in line');
    await waitFor(() => frame().includes('a unicast slot is free: starting'), 'admitted');
    await waitFor(() => frame().includes('✓ complete'), 'done', 5000);
  });
});
