import { describe, expect, it } from 'vitest';
import { printConsoleSnapshot } from '../../../tui/src/plain/plain-console.ts';
import { host, MemoryConsolePort, task } from '../support/memory-console-port.ts';

describe('plain console output (stdout not a TTY)', () => {
  it('given hosts, tasks and store figures, prints one plain line each, names escaped, no escape sequences', async () => {
    // Given
    const port = new MemoryConsolePort();
    port.hosts = [
      host('1', 'lab-01', { lastAddress: '10.0.0.21' }),
      host('2', 'evil\x1b[2J', { pending: true }),
    ];
    port.tasks = [
      task('t1', '1', { counters: { blocksDone: 50, blocksTotal: 100, bytesDone: 50, bytesTotal: 100 } }),
      task('t2', '2', { state: 'QUEUED', inLine: { ahead: 2, busy: 10, slots: 10 } }),
      task('t3', '1', {
        type: 'INVENTORY',
        state: 'QUEUED',
        scheduledAt: new Date(2099, 0, 2, 3, 4).toISOString(),
      }),
    ];
    port.schedules = [
      {
        id: 's1',
        name: 'nightly',
        cron: '0 2 * * *',
        timezone: 'UTC',
        type: 'INVENTORY',
        targets: '3 hosts',
        imageName: null,
        enabled: false,
        nextRunAt: null,
        lastOutcome: null,
      },
    ];
    port.store = {
      usedBytes: 2 * 1024 ** 3,
      freeBytes: 1024 ** 3,
      chunkCount: 7,
      dedupSavedBytes: 1024 ** 2,
    };
    port.replication = [{ name: 'site-c', done: 2, failed: 1, replicating: 0, lastError: 'unreachable' }];
    port.webhooks = [
      {
        id: 'w1',
        name: 'helpdesk',
        url: 'https://desk.example/hook',
        events: ['TASK_FAILED'],
        enabled: false,
        lastDelivery: {
          id: 'd1',
          event: 'TASK_FAILED',
          state: 'FAILED',
          attempts: 8,
          lastStatus: 500,
          lastError: null,
          createdAt: '2026-11-27T01:00:00Z',
          deliveredAt: null,
        },
        lastFailedDeliveryId: 'd1',
      },
    ];
    let out = '';

    // When
    const code = await printConsoleSnapshot(port, { write: (s: string) => (out += s) }, false);

    // Then
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).toContain('hosts 2');
    expect(lines).toContain('host lab-01 52:54:00:00:00:01 approved 10.0.0.21');
    expect(lines).toContain('host evil\\x1b[2J 52:54:00:00:00:02 pending');
    expect(lines).toContain('store used=2 GiB free=1 GiB chunks=7 dedup-saved=1 MiB');
    expect(lines.some((l) => /^task DEPLOY pc-1 win11 IN_PROGRESS 50\.0%$/.test(l))).toBe(true);
    expect(lines.some((l) => / QUEUED .* in line: 2 ahead, 10\/10 slots busy$/.test(l))).toBe(true);
    // Local time, as the operator's clock shows it.
    expect(lines.some((l) => /^task INVENTORY .* QUEUED .* scheduled for 2099-01-02 03:04$/.test(l))).toBe(
      true,
    );
    expect(lines).toContain('replica site-c ok=2 sending=0 failed=1 unreachable');
    expect(lines).toContain('schedule nightly INVENTORY 3 hosts "0 2 * * *" UTC next=off last=-');
    expect(lines).toContain('webhooks 1');
    expect(lines).toContain(
      'webhook helpdesk https://desk.example/hook off events=failed last=TASK_FAILED failed ×8 HTTP 500',
    );
    expect(out.includes('\x1b')).toBe(false);
  });

  it('given a viewer the server shows no webhooks, prints no webhook lines', async () => {
    const port = new MemoryConsolePort();
    port.webhooks = null;
    let out = '';
    await printConsoleSnapshot(port, { write: (s: string) => (out += s) }, false);
    expect(out).not.toContain('webhook');
  });
});
