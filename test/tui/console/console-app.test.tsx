import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleApp } from '../../../tui/src/console/console-app.tsx';
import { createTheme, ThemeContext } from '../../../tui/src/ui/theme.ts';
import {
  delivery,
  host,
  image,
  MemoryConsolePort,
  task,
  version,
  webhook,
} from '../support/memory-console-port.ts';
import { settle, waitFor } from '../support/wait-for.ts';

const SIZE = { columns: 80, rows: 24 };
let app: ReturnType<typeof render> | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

function start(port: MemoryConsolePort, size = SIZE) {
  app = render(
    <ThemeContext.Provider value={createTheme(true)}>
      <ConsoleApp port={port} username="admin" size={size} />
    </ThemeContext.Provider>,
  );
  return app;
}
const frame = () => app?.lastFrame() ?? '';

/** Opens a picker with `key`, waits for its `title`, moves `down` rows and chooses with Enter. */
async function choose(stdin: { write(s: string): void }, key: string, title: string, down = 0) {
  stdin.write(key);
  await waitFor(() => frame().includes(title), title);
  for (let i = 0; i < down; i++) stdin.write('j');
  await settle(20);
  stdin.write('\r');
}

describe('console', () => {
  it('given hosts on the server, h shows the host list and a live hostEvent adds a row', async () => {
    const port = new MemoryConsolePort();
    port.hosts = [host('1', 'lab-01'), host('2', 'lab-02', { pending: true })];
    const { stdin } = start(port);
    await waitFor(() => frame().includes('2 total'), 'dashboard counts');
    stdin.write('h');
    await waitFor(() => frame().includes('lab-02'), 'host list');
    expect(frame()).toContain('! pending');
    port.emitHost('CREATED', host('3', 'lab-03'));
    await waitFor(() => frame().includes('lab-03'), 'live host');
  });

  it('/ searches hosts by name or MAC; Esc clears the search', async () => {
    const port = new MemoryConsolePort();
    port.hosts = [host('1', 'alpha'), host('2', 'beta')];
    const { stdin } = start(port);
    await settle(50);
    stdin.write('h');
    await waitFor(() => frame().includes('beta'), 'hosts');
    stdin.write('/');
    await settle();
    stdin.write('alp');
    await waitFor(() => !frame().includes('beta'), 'filtered list');
    expect(frame()).toContain('alpha');
    stdin.write('\x1b');
    await waitFor(() => frame().includes('beta'), 'search cleared');
  });

  it('with more hosts on the server than the list holds, / asks the server and shows what it finds', async () => {
    const port = new MemoryConsolePort();
    port.hosts = [host('1', 'alpha'), host('2', 'beta')];
    port.moreHosts = [host('3', 'far-away'), host('4', 'further')];
    const { stdin } = start(port);
    await settle(50);
    stdin.write('h');
    await waitFor(() => frame().includes('beta'), 'hosts');
    expect(frame()).not.toContain('far-away');
    stdin.write('/');
    await settle();
    stdin.write('far-a');
    await waitFor(() => frame().includes('far-away'), 'the host found by the server');
    expect(frame()).toContain('1 of 4');
    expect(frame()).not.toContain('further');
  });

  it('? shows the help generated from the keymap; Esc closes it', async () => {
    const { stdin } = start(new MemoryConsolePort());
    await settle(50);
    stdin.write('?');
    await waitFor(() => frame().includes('Keys'), 'help');
    expect(frame()).toContain('search hosts');
    expect(frame()).toContain('cancel the selected task');
    expect(frame()).toContain('redeliver its last FAILED'); // the last section: nothing is cut
    stdin.write('\x1b');
    await waitFor(() => !frame().includes('Keys ('), 'help closed');
  });

  it('a hostname holding escape sequences is shown as text', async () => {
    const port = new MemoryConsolePort();
    port.hosts = [host('1', 'evil\x1b[2J')];
    const { stdin } = start(port);
    await settle(50);
    stdin.write('h');
    await waitFor(() => frame().includes('evil\\x1b[2J'), 'escaped name');
    expect(frame().includes('\x1b[2J')).toBe(false);
  });

  it('active tasks show live bars from taskProgress; Enter opens the block map', async () => {
    const port = new MemoryConsolePort();
    port.hosts = [host('1', 'pc-1')];
    port.tasks = [task('t1', '1')];
    const { stdin } = start(port);
    await waitFor(() => port.followed('t1'), 'progress subscription');
    port.emitProgress('t1', {
      blocksDone: 50,
      blocksTotal: 100,
      bytesDone: 50 * 1048576,
      bytesTotal: 100 * 1048576,
    });
    await waitFor(() => frame().includes('50.0%'), 'live bar on dashboard');
    stdin.write('t');
    await waitFor(() => frame().includes('Active (1)'), 'tasks pane');
    stdin.write('\r');
    await waitFor(() => frame().includes('blk/cell'), 'block map');
    expect(frame()).toContain('50.0%');
    for (const line of frame().split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(80);
    port.emitTask('STATE_CHANGED', task('t1', '1', { state: 'COMPLETE' }));
    await waitFor(() => frame().includes('✓ complete'), 'completion');
  });

  it('a deploy whose client waits for a unicast slot shows its place in line; an IN_LINE event moves it; f asks the server to move it to the front', async () => {
    const port = new MemoryConsolePort();
    port.hosts = [host('1', 'pc-1')];
    const waiting = (ahead: number, busy: number) =>
      task('t1', '1', { state: 'QUEUED', inLine: { ahead, busy, slots: 10 } });
    port.tasks = [waiting(3, 10)];
    const { stdin } = start(port);
    stdin.write('t');
    await waitFor(() => frame().includes('in line: 3 ahead, 10/10 slots busy'), 'place in line');
    port.emitTask('IN_LINE', waiting(1, 10));
    await waitFor(() => frame().includes('in line: 1 ahead, 10/10 slots busy'), 'new place');
    for (const line of frame().split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(80);
    stdin.write('f');
    await waitFor(() => port.calls.includes('front t1'), 'move call');
    await waitFor(() => frame().includes('done: front t1'), 'status');
  });

  it('deploy from the hosts pane: pick an image, confirm, the server is called; q then asks before quitting', async () => {
    const port = new MemoryConsolePort();
    port.hosts = [host('1', 'pc-1')];
    port.images = [image('img1', 'win11', [version(1, true)])];
    const { stdin } = start(port);
    await settle(50);
    stdin.write('h');
    await waitFor(() => frame().includes('pc-1'), 'hosts');
    stdin.write('l');
    await waitFor(() => frame().includes('Deploy to pc-1'), 'image picker');
    stdin.write('\r');
    await waitFor(() => frame().includes('Deploy win11 to pc-1: when?'), 'when picker');
    expect(frame()).toMatch(/now[\s\S]*at \d{4}-\d\d-\d\d (22|02):00[\s\S]*at \d{4}-\d\d-\d\d (22|02):00/);
    stdin.write('\r');
    await waitFor(() => frame().includes('overwritten'), 'confirmation');
    stdin.write('y');
    await waitFor(() => port.calls.includes('deploy 1 img1'), 'deploy call');
    await waitFor(() => frame().includes('done: deploy'), 'status');
    stdin.write('q');
    await waitFor(() => frame().includes('Quit anyway?'), 'quit confirmation');
  });

  it('a task scheduled for later says when, in local time', async () => {
    const port = new MemoryConsolePort();
    port.hosts = [host('1', 'pc-1')];
    port.tasks = [
      task('t1', '1', { state: 'QUEUED', scheduledAt: new Date(2099, 11, 31, 2, 0).toISOString() }),
    ];
    const { stdin } = start(port);
    stdin.write('t');
    await waitFor(() => frame().includes('scheduled for 2099-12-31 02:00'), 'scheduled time');
  });

  it('s shows the schedules, each with its next run or "off"; e disables the selected one, r runs it after a confirmation, x deletes after one, and the list reloads', async () => {
    const port = new MemoryConsolePort();
    const schedule = (id: string, name: string, enabled: boolean) => ({
      id,
      name,
      cron: '0 2 * * 1-5',
      timezone: 'Europe/Paris',
      type: 'DEPLOY',
      targets: 'group Lab A',
      imageName: 'win11',
      enabled,
      nextRunAt: enabled ? new Date(2099, 0, 5, 2, 0).toISOString() : null,
      lastOutcome: enabled ? 'queued 28 of 30 tasks; pc-3: This host already has an active task' : null,
    });
    port.schedules = [schedule('s1', 'nightly', true), schedule('s2', 'weekly', false)];
    const { stdin } = start(port);
    await settle(50);
    stdin.write('s');
    await waitFor(() => frame().includes('nightly') && frame().includes('weekly'), 'schedules');
    expect(frame()).toContain('2099-01-05 02:00');
    expect(frame()).toMatch(/nightly +DEPLOY win11 +group Lab A +2099-01-05 02:00 +queued 28/);
    expect(frame()).toMatch(/weekly .* off/);
    for (const line of frame().split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(80);
    const loads = port.scheduleLoads;

    stdin.write('e');
    await waitFor(() => port.calls.includes('schedule s1 false'), 'disable call');
    await waitFor(() => port.scheduleLoads > loads, 'reload');
    stdin.write('r');
    await waitFor(
      () => frame().includes('Run nightly now? It queues DEPLOY on group Lab A at once.'),
      'run confirmation',
    );
    stdin.write('y');
    await waitFor(() => port.calls.includes('run-schedule s1'), 'run call');
    stdin.write('j');
    await settle(20);
    stdin.write('x');
    await waitFor(() => frame().includes('Delete the schedule weekly?'), 'confirmation');
    stdin.write('y');
    await waitFor(() => port.calls.includes('delete-schedule s2'), 'delete call');
  });

  it('b shows the webhooks with their newest delivery; e disables the selected one, p pings it, r sends its FAILED delivery again, and the list reloads', async () => {
    const port = new MemoryConsolePort();
    // Its newest delivery is still being retried; an older one failed for good (r sends that one).
    const retrying = delivery('d4', {
      event: 'TASK_FAILED',
      state: 'PENDING',
      attempts: 3,
      lastStatus: 500,
      lastError: 'HTTP 500: nope',
      deliveredAt: null,
    });
    const everything = ['TASK_STARTED', 'TASK_COMPLETE', 'TASK_FAILED', 'TASK_CANCELLED'];
    port.webhooks = [
      webhook('w1', 'helpdesk', { lastDelivery: delivery('d1') }),
      webhook('w2', 'chat', {
        enabled: false,
        events: [...everything, 'REPLICATION_FAILED', 'HOST_REGISTERED', 'IMAGE_DAMAGED'],
        lastDelivery: retrying,
        lastFailedDeliveryId: 'd3',
      }),
      webhook('w3', 'inventory'),
    ];
    const { stdin } = start(port);
    await settle(50);
    stdin.write('b');
    await waitFor(() => frame().includes('helpdesk') && frame().includes('chat'), 'webhooks');
    expect(frame()).toContain('›we[b]hooks');
    expect(frame()).toMatch(
      /helpdesk +hooks\.example… +failed,c… +on +PING delivered ×1 HTTP 200 +11-27 10:02/,
    );
    expect(frame()).toMatch(/chat +hooks\.example… +all +off +TASK_FAILED retrying ×3 H… +11-27 10:02/);
    expect(frame()).toMatch(/inventory +hooks.* +on +none yet +—/);
    for (const line of frame().split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(80);
    expect(port.webhookLoads).toBe(2); // read at start, and again when shown (they have no events)
    const loads = port.webhookLoads;

    stdin.write('e');
    await waitFor(() => port.calls.includes('webhook w1 false'), 'disable call');
    await waitFor(() => port.webhookLoads > loads, 'reload');
    stdin.write('p');
    await waitFor(() => frame().includes('done: ping w1'), 'ping outcome in the status bar');
    stdin.write('r');
    await waitFor(() => frame().includes('helpdesk has no FAILED delivery'), 'nothing to redeliver');
    stdin.write('j');
    await settle(20);
    stdin.write('r');
    await waitFor(() => port.calls.includes('redeliver d3'), 'redeliver call');
    stdin.write('e');
    await waitFor(() => port.calls.includes('webhook w2 true'), 'enable call');
    expect(port.calls).toEqual(['webhook w1 false', 'ping w1', 'redeliver d3', 'webhook w2 true']);
  });

  it('wider, the webhooks pane shows whole URLs and says enabled or disabled', async () => {
    const port = new MemoryConsolePort();
    port.webhooks = [
      webhook('w1', 'helpdesk', { lastDelivery: delivery('d1') }),
      webhook('w2', 'chat', { enabled: false }),
    ];
    const { stdin } = start(port, { columns: 140, rows: 24 });
    await settle(50);
    stdin.write('b');
    await waitFor(() => frame().includes('helpdesk'), 'webhooks');
    expect(frame()).toMatch(
      /helpdesk +https:\/\/hooks\.example\.com\/helpdesk +failed,complete +enabled +PING delivered ×1 HTTP 200 +2026-11-27 10:02/,
    );
    expect(frame()).toMatch(/chat +https:\/\/hooks\.example\.com\/chat .* disabled +none yet/);
    expect(frame()).toContain('[s]chedules');
  });

  it('the webhooks pane says when there are none, and tells a non-admin they are for ADMINs', async () => {
    const port = new MemoryConsolePort();
    const { stdin } = start(port);
    await settle(50);
    stdin.write('b');
    await waitFor(() => frame().includes('no webhooks (createWebhook in the API)'), 'empty text');
    app?.unmount();
    const viewer = new MemoryConsolePort();
    viewer.webhooks = null;
    start(viewer).stdin.write('b');
    await waitFor(() => frame().includes('webhooks are for ADMINs'), 'non-admin text');
    for (const key of ['e', 'p', 'r']) app?.stdin.write(key);
    await settle(50);
    expect(viewer.calls).toEqual([]);
  });

  it('Space marks hosts and l deploys to all of them in one request; * marks every host shown and o wakes them; marks clear after', async () => {
    const port = new MemoryConsolePort();
    port.hosts = [host('1', 'pc-1'), host('2', 'pc-2'), host('3', 'pc-3')];
    port.images = [image('img1', 'win11', [version(1, true)])];
    const { stdin } = start(port);
    stdin.write('h');
    await waitFor(() => frame().includes('pc-3'), 'hosts');
    stdin.write(' ');
    await settle(20);
    stdin.write('j');
    await settle(20);
    stdin.write('j');
    await settle(20);
    stdin.write(' ');
    await waitFor(() => frame().includes('2 marked'), 'marks');
    expect(frame()).toMatch(/\+pc-1/);
    expect(frame()).toMatch(/ pc-2/);
    expect(frame()).toMatch(/\+pc-3/);

    await choose(stdin, 'l', 'Deploy to 2 hosts');
    // The second time offered: tonight at 02:00 or this evening at 22:00, whichever comes later.
    await choose(stdin, '', 'Deploy win11 to 2 hosts: when?', 2);
    await waitFor(
      () =>
        /Deploy win11 to 2 hosts at \d{4}-\d\d-\d\d (22|02):00\? Their disks will be overwritten\./.test(
          frame(),
        ),
      'confirm',
    );
    stdin.write('y');
    await waitFor(
      () => port.calls.some((c) => /^deploy 1,3 img1 at \d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/.test(c)),
      'one scheduled deploy call for both',
    );
    await waitFor(() => !frame().includes('marked'), 'marks cleared');

    stdin.write('*');
    await waitFor(() => frame().includes('3 marked'), 'all marked');
    stdin.write('o');
    await waitFor(() => port.calls.includes('wake 1,2,3'), 'one wake call for all');
    stdin.write('*');
    await settle(20);
    stdin.write('*');
    await waitFor(() => !frame().includes('marked'), '* twice unmarks');
  });

  it('o on a host asks the server to wake it (a Wake-up task)', async () => {
    const port = new MemoryConsolePort();
    port.hosts = [host('1', 'pc-1')];
    const { stdin } = start(port);
    stdin.write('h');
    await waitFor(() => frame().includes('pc-1'), 'hosts');
    stdin.write('o');
    await waitFor(() => port.calls.includes('wake 1'), 'wake call');
    await waitFor(() => frame().includes('done: wake 1'), 'status');
  });

  it('keys arriving in one chunk ("jjc", as a fast typist or tmux sends them) each count', async () => {
    const port = new MemoryConsolePort();
    port.hosts = [host('1', 'pc-1'), host('2', 'pc-2'), host('3', 'pc-3')];
    port.images = [image('img1', 'win11', [], { imageType: 'RAW' })];
    const { stdin } = start(port);
    await settle(50);
    stdin.write('h');
    await waitFor(() => frame().includes('pc-3'), 'hosts');
    stdin.write('jjc');
    await waitFor(() => frame().includes('Capture pc-3 into image'), 'capture picker for the third host');
  });

  it('in 80x24, no pane draws a line wider than 80 columns or more than 24 lines', async () => {
    const port = new MemoryConsolePort();
    port.hosts = Array.from({ length: 40 }, (_, i) => host(String(i), `host-with-a-long-name-${i}`));
    port.tasks = [
      task('t1', '1'),
      task('t2', '2', { state: 'FAILED', failureReason: 'target disk too small '.repeat(5) }),
    ];
    const { stdin } = start(port);
    await settle(80);
    for (const key of ['d', 'h', 'i', 't', 's', 'm', 'a', 'b', '?']) {
      stdin.write(key);
      await settle(150);
      const lines = frame().split('\n');
      expect(lines.length, `pane ${key}`).toBeLessThanOrEqual(24);
      for (const l of lines) expect(stringWidth(l), `pane ${key}: ${l}`).toBeLessThanOrEqual(80);
      if (key === '?') stdin.write('\x1b');
    }
  });
});

describe('console: store and multicast', () => {
  it('the dashboard shows the store room, chunks and dedup savings; the images pane per image', async () => {
    const port = new MemoryConsolePort();
    port.images = [image('i1', 'win11', [])];
    port.store = {
      usedBytes: 12 * 1024 ** 3,
      freeBytes: 88 * 1024 ** 3,
      chunkCount: 4321,
      dedupSavedBytes: 3 * 1024 ** 3,
      images: {
        i1: {
          versionCount: 2,
          logicalBytes: 0,
          storedBytes: 4 * 1024 ** 3,
          uniqueBytes: 1024 ** 3,
          dedupSavedBytes: 3 * 1024 ** 3,
        },
      },
    };
    const { stdin } = start(port);
    await waitFor(() => frame().includes('4321 chunks'), 'store line');
    expect(frame()).toMatch(/Store\s+12 GiB used\s+88 GiB free\s+4321 chunks/);
    expect(frame()).toMatch(/Images\s+1 image\s+0 versions\s+dedup saves 3 GiB/);
    stdin.write('i');
    await waitFor(() => frame().includes('win11'), 'images pane');
    expect(frame()).toContain('3 GiB (75%)');
  });

  it('versions from the images pane: v picks an older version and deletes it after a confirmation, u makes one current; g on the dashboard collects the store', async () => {
    const port = new MemoryConsolePort();
    port.images = [
      image('img1', 'win11', [version(1, false), version(2, false), version(3, true)], { keepVersions: 3 }),
      image('img2', 'lonely', [version(4, true)], { osType: 'LINUX' }),
    ];
    const { stdin } = start(port);
    await settle(50);
    stdin.write('i');
    await waitFor(() => frame().includes('win11'), 'images pane');
    // Enter: the versions, and the image's retention in its header
    stdin.write('\r');
    await waitFor(() => frame().includes('Image win11'), 'image detail');
    expect(frame()).toContain('keeps 3');
    stdin.write('\u001b');
    await waitFor(() => !frame().includes('Image win11'), 'back to the list');

    // v: the current version (v3) is not offered; pick v2, confirm
    stdin.write('v');
    await waitFor(() => frame().includes('Delete a version of win11'), 'version picker');
    expect(frame()).toContain('v1  2026-11-21 10:00');
    expect(frame()).not.toMatch(/v3\s+2026-11-23/);
    stdin.write('\u001b');
    await choose(stdin, 'v', 'Delete a version of win11', 1);
    await waitFor(() => frame().includes('Delete win11 v2?'), 'confirmation');
    stdin.write('n');
    await settle(30);
    expect(port.calls).toEqual([]);
    await choose(stdin, 'v', 'Delete a version of win11');
    await waitFor(() => frame().includes('Delete win11 v1?'), 'confirmation of v1');
    stdin.write('y');
    await waitFor(() => port.calls.includes('delete-version ver1'), 'delete call');

    // u: pick, no confirmation (it can be undone)
    await choose(stdin, 'u', 'Make current in win11', 1);
    await waitFor(() => port.calls.includes('use-version ver2'), 'set current call');

    // k on win11 (3 versions): 2 newest deletes one, so it asks first; "every version" does not
    await choose(stdin, 'k', 'Versions win11 keeps after each capture', 2);
    await waitFor(() => frame().includes("Keep win11's 2 newest versions?"), 'keep confirmation');
    stdin.write('y');
    await waitFor(() => port.calls.includes('keep img1 2'), 'keep call');
    await choose(stdin, 'k', 'Versions win11 keeps after each capture');
    await waitFor(() => port.calls.includes('keep img1 0'), 'keep-all call without confirmation');

    // an image with only its current version: nothing to pick, said in the status bar
    stdin.write('j');
    await settle(20);
    stdin.write('v');
    await waitFor(() => frame().includes('lonely has no version besides the current one'), 'status');

    // g on the dashboard, after a confirmation
    stdin.write('d');
    await settle(20);
    stdin.write('g');
    await waitFor(() => frame().includes('Collect store garbage now?'), 'collect confirmation');
    stdin.write('y');
    await waitFor(() => port.calls.includes('collect'), 'collect call');
    // r on the dashboard: the store's unregistered images, after a confirmation; n changes nothing
    stdin.write('r');
    await waitFor(
      () => frame().includes('Register the image versions the store holds'),
      'import confirmation',
    );
    stdin.write('n');
    await settle(20);
    stdin.write('r');
    await waitFor(
      () => frame().includes('Register the image versions the store holds'),
      'import confirmation',
    );
    stdin.write('y');
    await waitFor(() => port.calls.includes('import-store'), 'import call');
    expect(port.calls).toEqual([
      'delete-version ver1',
      'use-version ver2',
      'keep img1 2',
      'keep img1 0',
      'collect',
      'import-store',
    ]);
  });

  it('y on the images pane verifies a version: every version is offered with its last check, the current one too, without a confirmation; the detail shows each check', async () => {
    const port = new MemoryConsolePort();
    port.images = [
      image('img1', 'win11', [
        { ...version(2, true), check: 'DAMAGED 2' },
        { ...version(1, false), check: 'passed' },
      ]),
    ];
    const { stdin } = start(port);
    await settle(50);
    stdin.write('i');
    await waitFor(() => frame().includes('win11'), 'images pane');
    stdin.write('\r');
    await waitFor(() => frame().includes('Image win11'), 'image detail');
    expect(frame()).toMatch(/Check/);
    expect(frame()).toMatch(/v2 .*DAMAGED 2/);
    expect(frame()).toMatch(/v1 .*passed/);
    stdin.write('\u001b');
    await waitFor(() => !frame().includes('Image win11'), 'back to the list');
    stdin.write('y');
    await waitFor(() => frame().includes('Verify the chunks of win11'), 'version picker');
    expect(frame()).toContain('last check: DAMAGED 2');
    expect(frame()).toContain('last check: passed');
    stdin.write('\u001b');
    await choose(stdin, 'y', 'Verify the chunks of win11', 1);
    await waitFor(() => port.calls.includes('verify-version ver1'), 'verify call');
    expect(port.calls).toEqual(['verify-version ver1']);
  });

  it('the dashboard sums up each replica node, and says why one failed', async () => {
    const port = new MemoryConsolePort();
    port.replication = [
      { name: 'site-b', done: 3, failed: 0, replicating: 0, lastError: null },
      {
        name: 'site-c',
        done: 2,
        failed: 1,
        replicating: 0,
        lastError: 'node site-c refused (507 STORAGE_FULL)',
      },
    ];
    start(port);
    await waitFor(() => frame().includes('Replicas'), 'replication line');
    // Cut to the terminal's 80 columns.
    expect(frame()).toMatch(
      /Replicas\s+site-b 3 ok\s+site-c 2 ok 1 failed: node site-c refused \(507 STORAGE_…/,
    );
  });

  it('given a viewer (no store figures), the dashboard shows the store as unknown', async () => {
    const port = new MemoryConsolePort();
    port.store = null;
    start(port);
    await waitFor(() => frame().includes('Store'), 'dashboard');
    expect(frame()).toMatch(/Store\s+— used\s+— free/);
  });

  it('multicast: one row per receiver, live from its task progress; a MULTICAST task event reloads the sessions', async () => {
    const port = new MemoryConsolePort();
    port.hosts = [host('1', 'pc-1'), host('2', 'pc-2')];
    const receiver = (id: string, hostName: string) => ({
      taskId: id,
      hostName,
      state: 'RECEIVING',
      blocksDone: 0,
      blocksTotal: 100,
    });
    port.tasks = [task('t1', '1', { type: 'MULTICAST' }), task('t2', '2', { type: 'MULTICAST' })];
    port.multicast = [
      { id: 's1', name: 'labo-7', state: 'RUNNING', imageName: 'win11', receivers: [receiver('t1', 'pc-1')] },
    ];
    const { stdin } = start(port);
    await waitFor(() => port.followed('t1'), 'progress followed');
    stdin.write('m');
    await waitFor(() => frame().includes('└ pc-1'), 'receiver row');
    port.emitProgress('t1', { blocksDone: 42, blocksTotal: 100, bytesDone: 42, bytesTotal: 100 });
    await waitFor(() => frame().includes('42.0%'), 'live receiver progress');

    // When a second host joins (its MULTICAST task is created), the session list is reloaded
    const loads = port.multicastLoads;
    port.multicast = [
      {
        ...port.multicast[0]!,
        receivers: [receiver('t1', 'pc-1'), receiver('t2', 'pc-2')],
      },
    ];
    port.emitTask('CREATED', task('t2', '2', { type: 'MULTICAST', state: 'QUEUED' }));
    await waitFor(() => frame().includes('└ pc-2'), 'second receiver');
    expect(port.multicastLoads).toBe(loads + 1);
    for (const l of frame().split('\n')) expect(stringWidth(l)).toBeLessThanOrEqual(80);
  });
});
