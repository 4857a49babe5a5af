/**
 * GET /metrics carries the figures a sysadmin's Prometheus alerts on, read from the database and
 * the store's filesystem at scrape time: tasks by state and type, hosts by state, the unicast
 * slots, images, multicast sessions, the store's free bytes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.ts';

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await startTestApp({ BRUME_MAX_CLIENTS: '7' });
  base = (await t.listen()).url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await t?.close();
});

async function scrape(): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m =
      /^(brume_(?:tasks|hosts|unicast_slots|images|multicast_sessions|store_filesystem_bytes)(?:\{[^}]*\})?) (\S+)$/.exec(
        line,
      );
    if (m?.[1] && m[2]) values.set(m[1], Number(m[2]));
  }
  return values;
}

it('Given hosts in three states and queued tasks, then the gauges count them, and follow a change at the next scrape', async () => {
  // Given
  const s = t.app.services;
  await s.hosts.registerHost({ macs: ['52:54:00:ee:00:01'] });
  const a = await s.hosts.createHost({ name: 'm-01', macs: ['52:54:00:ee:00:02'] });
  const b = await s.hosts.createHost({ name: 'm-02', macs: ['52:54:00:ee:00:03'] });
  await s.hosts.touchLastSeen(a.id);
  const [inventory] = await s.tasks.startInventory({ hostIds: [a.id, b.id] }, { userId: null });

  // When
  const first = await scrape();

  // Then
  expect(first.get('brume_hosts{state="pending"}')).toBe(1);
  expect(first.get('brume_hosts{state="online"}')).toBe(1);
  expect(first.get('brume_hosts{state="offline"}')).toBe(1);
  expect(first.get('brume_tasks{state="QUEUED",type="INVENTORY"}')).toBe(2);
  expect(first.get('brume_unicast_slots{kind="busy"}')).toBe(0);
  expect(first.get('brume_unicast_slots{kind="total"}')).toBe(7);
  expect(first.get('brume_images{kind="images"}')).toBe(0);
  expect(first.get('brume_store_filesystem_bytes{kind="free"}')).toBeGreaterThan(0);
  expect(first.get('brume_store_filesystem_bytes{kind="total"}')).toBeGreaterThanOrEqual(
    first.get('brume_store_filesystem_bytes{kind="used"}') ?? Number.POSITIVE_INFINITY,
  );

  await s.tasks.cancelTask(inventory?.id ?? '');
  const second = await scrape();
  expect(second.get('brume_tasks{state="QUEUED",type="INVENTORY"}')).toBe(1);
});
