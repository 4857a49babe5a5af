import { InputValidationError } from '../graphql/input-validation-error.ts';
import { isValidImageName } from '../images/image-name.ts';
import { InvalidSessionNameError, MulticastSessionFinishedError } from './multicast-errors.ts';
import type { MulticastSessionState } from './multicast-states.ts';

/** Typed on a boot menu and shown in logs: the image-name alphabet, never anything a shell reads. */
export function checkSessionName(name: string): string {
  if (!isValidImageName(name)) throw new InvalidSessionNameError(name);
  return name;
}

export const MAX_WAIT_SECONDS_LIMIT = 24 * 3600;

export interface SessionSettings {
  readonly minReceivers: number;
  readonly maxWaitSeconds: number;
  readonly rateLimitBytesPerSecond?: number | null;
}

/** Checks the sender settings; `hostCount` bounds minReceivers when the host set is known. */
export function checkSessionSettings(s: SessionSettings, hostCount?: number): void {
  const issues: { path: string[]; message: string }[] = [];
  const upper = hostCount ?? 10_000;
  if (!Number.isInteger(s.minReceivers) || s.minReceivers < 1 || s.minReceivers > upper) {
    issues.push({ path: ['input', 'minReceivers'], message: `between 1 and ${upper}` });
  }
  if (
    !Number.isInteger(s.maxWaitSeconds) ||
    s.maxWaitSeconds < 0 ||
    s.maxWaitSeconds > MAX_WAIT_SECONDS_LIMIT
  ) {
    issues.push({ path: ['input', 'maxWaitSeconds'], message: `between 0 and ${MAX_WAIT_SECONDS_LIMIT}` });
  }
  const rate = s.rateLimitBytesPerSecond;
  if (rate != null && (!Number.isSafeInteger(rate) || rate < 1)) {
    issues.push({
      path: ['input', 'rateLimitBytesPerSecond'],
      message: 'a positive integer, or null for no cap',
    });
  }
  if (issues.length > 0) throw new InputValidationError(issues);
}

/** What decides whether a host may still join a session by name. */
export interface JoinableSession {
  readonly state: MulticastSessionState;
  readonly startedAt: Date | null;
}

/**
 * A host joins a waiting session, or a running one not started longer ago than the late-join
 * bound (past it, most of the image would come by unicast: a plain deploy is the better tool).
 */
export function checkJoinable(session: JoinableSession, now: Date, lateJoinMs: number): void {
  if (session.state === 'WAITING') return;
  if (session.state !== 'RUNNING') throw new MulticastSessionFinishedError(session.state);
  const runningMs = session.startedAt ? now.getTime() - session.startedAt.getTime() : 0;
  if (runningMs > lateJoinMs) {
    throw new MulticastSessionFinishedError(
      'RUNNING',
      `The session has been running for ${Math.round(runningMs / 1000)} s: past the late-join bound`,
    );
  }
}
