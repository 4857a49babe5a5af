import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { sseEvents } from '../../support/ws-client.ts';

describe('graceful shutdown', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BRUME_SHUTDOWN_GRACE_MS: '1000' });
  });
  afterAll(() => t.close());

  it('Given an open SSE stream, when the app stops, then the stream ends, the port closes and readiness is stopping', async () => {
    const { url } = await t.listen();
    const admin = await t.createUser('ADMIN', 'shutdown-admin');
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${admin.token}`,
      },
      body: JSON.stringify({ query: 'subscription { auditEvents { action } }' }),
    });
    const events = sseEvents(res.body!);
    const started = Date.now();
    await t.app.stop();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(t.app.readiness).toBe('stopping');
    // Ended cleanly or cut: either way the stream is over.
    expect(
      await events.next().then(
        (r) => r.done === true,
        () => true,
      ),
    ).toBe(true);
    await expect(fetch(url.replace('/graphql', '/healthz'))).rejects.toThrow();
  });
});
