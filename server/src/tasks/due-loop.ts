/**
 * The loop behind the server's timed work (Wake-on-LAN of scheduled tasks, recurring schedules):
 * a pass does whatever is due, then sleeps until the next due time read from the database, a
 * minute at most (FOG's scheduler interval). Passes never overlap; any caller may ask for one
 * after a change (a task queued, a schedule edited) and the timer is aimed again.
 */
import type { Logger } from 'pino';

export const DUE_TICK_MS = 60_000;

export interface DueLoop {
  /** Runs a pass (after the one in progress, if any). */
  pass(): Promise<void>;
  stop(): void;
}

export function createDueLoop(options: {
  /** Does the due work. */
  run: () => Promise<unknown>;
  /** The next due time, or null when nothing is scheduled. */
  nextDue: () => Promise<Date | null>;
  now: () => Date;
  log: Logger;
  what: string;
}): DueLoop {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  async function once(): Promise<void> {
    if (stopped) return;
    try {
      await options.run();
      const next = await options.nextDue();
      // 10 ms past the due time: a timer that fires a hair early would find nothing due yet.
      const delay = next ? Math.max(0, next.getTime() - options.now().getTime()) + 10 : DUE_TICK_MS;
      clearTimeout(timer);
      if (!stopped) timer = setTimeout(() => void pass(), Math.min(DUE_TICK_MS, delay)).unref();
    } catch (err) {
      options.log.error({ err }, `${options.what} pass failed`);
    }
  }

  function pass(): Promise<void> {
    running = running.then(once);
    return running;
  }

  return {
    pass,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
