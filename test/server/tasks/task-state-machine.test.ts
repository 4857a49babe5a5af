import { describe, expect, it } from 'vitest';
import { FOG_TASK_TYPE_IDS, isImagingTaskType, TASK_TYPES } from '../../../server/src/tasks/task-kinds.ts';
import {
  canTransition,
  FOG_TASK_STATE_IDS,
  isFinalState,
  statesAllowedBefore,
  TASK_STATES,
  type TaskState,
} from '../../../server/src/tasks/task-state-machine.ts';

// The specification, written out in full so a change to the table must change this test too.
const ALLOWED: ReadonlyArray<[TaskState, TaskState]> = [
  ['QUEUED', 'CHECKED_IN'],
  ['QUEUED', 'FAILED'],
  ['QUEUED', 'CANCELLED'],
  ['CHECKED_IN', 'IN_PROGRESS'],
  ['CHECKED_IN', 'FAILED'],
  ['CHECKED_IN', 'CANCELLED'],
  ['IN_PROGRESS', 'COMPLETE'],
  ['IN_PROGRESS', 'FAILED'],
  ['IN_PROGRESS', 'CANCELLED'],
];
const isAllowed = (from: TaskState, to: TaskState) => ALLOWED.some(([f, t]) => f === from && t === to);
const ALL_PAIRS = TASK_STATES.flatMap((from) =>
  TASK_STATES.map((to) => [from, to] as [TaskState, TaskState]),
);

describe('task state machine', () => {
  it.each(ALL_PAIRS.filter(([f, t]) => isAllowed(f, t)))('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each(ALL_PAIRS.filter(([f, t]) => !isAllowed(f, t)))('forbids %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('final states have no way out', () => {
    for (const state of TASK_STATES) {
      const final = isFinalState(state);
      expect(final).toBe(['COMPLETE', 'FAILED', 'CANCELLED'].includes(state));
      if (final) expect(TASK_STATES.filter((to) => canTransition(state, to))).toEqual([]);
    }
  });

  it('gives the guard of each conditional update', () => {
    expect(statesAllowedBefore('CANCELLED')).toEqual(['QUEUED', 'CHECKED_IN', 'IN_PROGRESS']);
    expect(statesAllowedBefore('IN_PROGRESS')).toEqual(['CHECKED_IN']);
    expect(statesAllowedBefore('QUEUED')).toEqual([]);
  });

  it("uses FOG's ids for states and types", () => {
    expect(FOG_TASK_STATE_IDS).toMatchObject({ QUEUED: 1, COMPLETE: 4, CANCELLED: 5, FAILED: 6 });
    expect(FOG_TASK_TYPE_IDS).toMatchObject({
      DEPLOY: 1,
      CAPTURE: 2,
      MULTICAST: 8,
      INVENTORY: 10,
      FULL_WIPE: 20,
    });
    expect(new Set(TASK_TYPES.map((t) => FOG_TASK_TYPE_IDS[t])).size).toBe(TASK_TYPES.length);
  });

  it('counts every type that boots the imaging client as imaging, not wake-up or snapins', () => {
    expect(isImagingTaskType('CAPTURE')).toBe(true);
    expect(isImagingTaskType('FAST_WIPE')).toBe(true);
    expect(isImagingTaskType('WAKE_UP')).toBe(false);
  });
});
