/**
 * Keeps `Host.online` true to its word. A host goes online on any contact (boot script, check-in)
 * and, until now, stayed online forever. FOG pings every host each 5 minutes; Brume knows a host
 * by its contacts instead, so a host silent for `offlineAfterMs` (default 10 min: two of FOG's
 * missed pings) is marked offline by this sweep, with an OFFLINE host event.
 */
import type { Logger } from 'pino';
import type { HostsService } from './hosts-service.ts';

export function createHostPresence(deps: {
  hosts: Pick<HostsService, 'markSilentOffline'>;
  log: Logger;
  now: () => Date;
  offlineAfterMs: number;
}) {
  // A tenth of the window, between 0.5 s and a minute: an offline host is seen as such late by
  // at most 10 % (at most a minute).
  const everyMs = Math.min(60_000, Math.max(500, deps.offlineAfterMs / 10));
  let timer: NodeJS.Timeout | undefined;

  async function sweep(): Promise<number> {
    const before = new Date(deps.now().getTime() - deps.offlineAfterMs);
    return deps.hosts.markSilentOffline(before);
  }

  return {
    sweep,
    /** Sweeps at once (hosts online before a restart may have gone quiet since), then on a timer. */
    start(): void {
      const run = () => {
        sweep().catch((err: unknown) => deps.log.warn({ err }, 'host presence sweep failed'));
      };
      if (timer) return;
      run();
      timer = setInterval(run, everyMs).unref();
    },
    stop(): void {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
