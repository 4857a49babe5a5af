import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/src/app/logger.ts';
import { testConfig } from '../../../server/src/config/config.ts';
import { createPubSub } from '../../../server/src/graphql/pubsub.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';

declare module '../../../server/src/graphql/pubsub.ts' {
  interface PubSubTopics {
    testTicks: number;
  }
}

describe('process edges', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('Given the port is taken, when the app starts, then start rejects (never hangs)', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(t.app.start(port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      blocker.close();
    }
  });

  it('Given secrets in a log call, then the JSON line shows [REDACTED] instead', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger(testConfig({ BRUME_LOG_LEVEL: 'info' }), sink);
    log.info(
      { password: 'hunter2-secret', token: 'brume_abc', headers: { authorization: 'Bearer brume_xyz' } },
      'attempt',
    );
    const line = lines.join('');
    expect(line).toContain('[REDACTED]');
    expect(line).not.toMatch(/hunter2-secret|brume_abc|brume_xyz/);
  });

  it('Given a subscriber that never reads, when 5,000 events are published, then nothing crashes and it gets the newest ones', async () => {
    const pubsub = createPubSub();
    const slow = pubsub.subscribe('testTicks', { bufferSize: 16 });
    const first = slow.next(); // starts the repeater
    for (let i = 0; i < 5000; i++) pubsub.publish('testTicks', i);
    expect((await first).value).toBe(0);
    const rest: number[] = [];
    for (let i = 0; i < 16; i++) rest.push((await slow.next()).value as number);
    expect(rest.at(-1)).toBe(4999);
    expect(pubsub.subscriberCount).toBe(1);
    await slow.return();
    expect(pubsub.subscriberCount).toBe(0);
  });
});
