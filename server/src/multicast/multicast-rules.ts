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

/**
 * A session no receiver asked a ticket of (so no sender waits for JOINs) fails once this many
 * seconds passed since its creation: its `maxWaitSeconds`, but never less than this floor, so
 * `maxWaitSeconds: 0` ("start at the first receiver") still leaves a host time to boot and ask.
 */
export const NO_RECEIVER_FLOOR_SECONDS = 60;

export const noReceiverWaitSeconds = (maxWaitSeconds: number): number =>
  Math.max(maxWaitSeconds, NO_RECEIVER_FLOOR_SECONDS);

/** When a session with no receiver fails (see `noReceiverWaitSeconds`). */
export function noReceiverDeadline(session: { createdAt: Date; maxWaitSeconds: number }): Date {
  return new Date(session.createdAt.getTime() + noReceiverWaitSeconds(session.maxWaitSeconds) * 1000);
}

/** The session's reason when nobody came; the same words whether or not a sender was launched. */
export const noReceiverReason = (waitSeconds: number): string => `no receiver joined within ${waitSeconds} s`;

/**
 * A ticket refused because every slot is held by a running session: the client's BUSY answer,
 * and so the task's reason when its client gives up retrying. Names the settings that size it.
 */
export const noFreeSlotReason = (capacity: number): string =>
  `no free multicast slot: all ${capacity} in use (BRUME_MULTICAST_PORT_MIN/MAX)`;

/**
 * A session nobody joined because its receivers were refused a slot: that cause first, so an
 * admin does not look for dead hosts or a broken network when the server was simply full.
 */
export const noFreeSlotSessionReason = (capacity: number, waitSeconds: number): string =>
  `${noFreeSlotReason(capacity)}, so ${noReceiverReason(waitSeconds)}`;

/** A launched sender's keys live only in the process that launched it: a restart loses the session. */
export const SERVER_RESTARTED_REASON = 'the server restarted during the session';
