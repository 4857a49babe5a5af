import { afterEach, describe, expect, it } from 'vitest';
import { TmuxSession, TmuxTimeoutError } from './tmux-driver.ts';

let session: TmuxSession | null = null;
afterEach(async () => {
  await session?.kill();
  session = null;
});

describe('tmux driver', () => {
  it('given a shell reading a line, sends keys, reads the screen and the exit status', async () => {
    session = await TmuxSession.start(['sh', '-c', 'printf "name? "; read n; echo "hello $n"; exit 3'], {
      columns: 80,
      rows: 24,
    });
    await session.waitForText('name?', 5000);
    await session.sendKeys(['world'], true);
    await session.sendKeys(['Enter']);
    const screen = await session.waitForText('hello world', 5000);
    expect(screen.split('\n').length).toBe(24);
    for (let i = 0; i < 50 && (await session.exitStatus()) === null; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await session.exitStatus()).toBe(3);
  });

  it('a wait that never matches fails within its bound and shows the screen', async () => {
    session = await TmuxSession.start(['sh', '-c', 'echo ready; sleep 30']);
    await session.waitForText('ready', 5000);
    const started = Date.now();
    const err = await session.waitForText('never there', 300).catch((e) => e);
    expect(err).toBeInstanceOf(TmuxTimeoutError);
    expect((err as TmuxTimeoutError).screen).toContain('ready');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
