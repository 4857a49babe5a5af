/**
 * When a schedule runs, with croner (already a dependency; small, no dependencies of its own, IANA
 * zones through Intl) reading the cron fields. Five fields or a nickname: FOG's cron format; a
 * seconds field would let a typo queue a deploy every second.
 */
import { Cron } from 'croner';

const NICKNAMES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly'];

/** The problem with a cron expression, or null when croner and the five-field rule accept it. */
export function cronProblem(cron: string, timezone: string): string | null {
  const text = cron.trim();
  if (text.length === 0 || text.length > 100) return 'a cron expression of 1 to 100 characters';
  const fields = text.split(/\s+/);
  if (!(fields.length === 5 || (fields.length === 1 && NICKNAMES.includes(text.toLowerCase())))) {
    return `five fields (minute hour day-of-month month day-of-week) or one of ${NICKNAMES.join(', ')}`;
  }
  try {
    if (new Cron(text, { timezone }).nextRun() === null) return 'never runs';
  } catch (err) {
    return err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err);
  }
  return null;
}

export function timezoneProblem(timezone: string): string | null {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return null;
  } catch {
    return 'an IANA time zone such as Europe/Paris or UTC';
  }
}

/** The first run strictly after `after`; null when the expression never runs again. */
export function nextRunAfter(cron: string, timezone: string, after: Date): Date | null {
  return new Cron(cron.trim(), { timezone }).nextRun(after);
}

/** The zone this server runs in: the default for a schedule that names none. */
export const serverTimezone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
