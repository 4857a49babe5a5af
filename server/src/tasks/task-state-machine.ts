/**
 * The task lifecycle, FOG's: queued → checked in → in progress → complete | failed | cancelled.
 * This table is the only place that says which move is legal; the service turns it into the
 * `WHERE state IN (...)` of one conditional UPDATE so two racing transitions cannot both win.
 */
export const TASK_STATES = [
  'QUEUED',
  'CHECKED_IN',
  'IN_PROGRESS',
  'COMPLETE',
  'FAILED',
  'CANCELLED',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** FOG's `taskStates` ids (note: FOG numbers Cancelled 5 and Failed 6). */
export const FOG_TASK_STATE_IDS: Readonly<Record<TaskState, number>> = {
  QUEUED: 1,
  CHECKED_IN: 2,
  IN_PROGRESS: 3,
  COMPLETE: 4,
  CANCELLED: 5,
  FAILED: 6,
};

const TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  QUEUED: ['CHECKED_IN', 'FAILED', 'CANCELLED'],
  CHECKED_IN: ['IN_PROGRESS', 'FAILED', 'CANCELLED'],
  IN_PROGRESS: ['COMPLETE', 'FAILED', 'CANCELLED'],
  COMPLETE: [],
  FAILED: [],
  CANCELLED: [],
};

/** States that hold the host: the database allows one such imaging task per host. */
export const ACTIVE_TASK_STATES: readonly TaskState[] = ['QUEUED', 'CHECKED_IN', 'IN_PROGRESS'];
export const FINAL_TASK_STATES: readonly TaskState[] = ['COMPLETE', 'FAILED', 'CANCELLED'];

export function canTransition(from: TaskState, to: TaskState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The states from which `to` may be entered: the guard of the conditional UPDATE. */
export function statesAllowedBefore(to: TaskState): TaskState[] {
  return TASK_STATES.filter((from) => canTransition(from, to));
}

export function isFinalState(state: TaskState): boolean {
  return FINAL_TASK_STATES.includes(state);
}

/** A failure or cancellation says why; other moves carry no reason. */
export function transitionNeedsReason(to: TaskState): boolean {
  return to === 'FAILED';
}
