import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidTaskTransitionError, TaskAlreadyFinalError } from '../../../server/src/tasks/task-errors.ts';
import { canTransition, TASK_STATES, type TaskState } from '../../../server/src/tasks/task-state-machine.ts';
import { startTestApp, type TestApp } from '../../support/app.ts';
import { makeHost, system } from './task-fixtures.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

/** The path of legal moves that brings a fresh task to `state`. */
const PATH: Record<TaskState, TaskState[]> = {
  QUEUED: [],
  CHECKED_IN: ['CHECKED_IN'],
  IN_PROGRESS: ['CHECKED_IN', 'IN_PROGRESS'],
  COMPLETE: ['CHECKED_IN', 'IN_PROGRESS', 'COMPLETE'],
  FAILED: ['FAILED'],
  CANCELLED: ['CANCELLED'],
};

async function taskIn(state: TaskState) {
  const host = await makeHost(t, 'SM');
  const [task] = await t.app.services.tasks.startInventory({ hostIds: [host.id] }, system);
  for (const step of PATH[state]) await t.app.services.tasks.transition(task!.id, step, { reason: 'test' });
  return task!.id;
}

const pairs = TASK_STATES.flatMap((from) => TASK_STATES.map((to) => [from, to] as const));

describe('task transitions in the database (one conditional UPDATE)', () => {
  it.each(pairs.filter(([f, to]) => canTransition(f, to)))(
    'Given a %s task, when moved to %s, then it is',
    async (from, to) => {
      const id = await taskIn(from);
      const moved = await t.app.services.tasks.transition(id, to, { reason: 'because' });
      expect(moved.state).toBe(to);
      if (to === 'FAILED') expect(moved.failureReason).toBe('because');
      if (['COMPLETE', 'FAILED', 'CANCELLED'].includes(to)) expect(moved.endedAt).toBeInstanceOf(Date);
      if (to === 'IN_PROGRESS') expect(moved.startedAt).toBeInstanceOf(Date);
    },
  );

  it.each(pairs.filter(([f, to]) => !canTransition(f, to)))(
    'Given a %s task, when moved to %s, then a typed error and the row is unchanged',
    async (from, to) => {
      const id = await taskIn(from);
      const before = await t.app.services.tasks.getTask(id);
      const error = await t.app.services.tasks.transition(id, to).catch((e: unknown) => e);
      const final = ['COMPLETE', 'FAILED', 'CANCELLED'].includes(from);
      expect(error).toBeInstanceOf(final ? TaskAlreadyFinalError : InvalidTaskTransitionError);
      expect(await t.app.services.tasks.getTask(id)).toEqual(before);
    },
  );

  it('Given a running task, when 8 callers race to end it (COMPLETE, FAILED, CANCELLED), then exactly one wins', async () => {
    const id = await taskIn('IN_PROGRESS');
    const targets: TaskState[] = [
      'COMPLETE',
      'FAILED',
      'CANCELLED',
      'COMPLETE',
      'FAILED',
      'CANCELLED',
      'COMPLETE',
      'FAILED',
    ];
    const results = await Promise.allSettled(
      targets.map((to) => t.app.services.tasks.transition(id, to, { reason: 'race' })),
    );
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    const final = await t.app.services.tasks.getTask(id);
    expect(final?.state).toBe((winners[0] as PromiseFulfilledResult<{ state: TaskState }>).value.state);
  });

  it('Given a queued task, when 8 clients race to check it in, then exactly one holds it', async () => {
    const id = await taskIn('QUEUED');
    const expiresAt = new Date(Date.now() + 60_000);
    const results = await Promise.allSettled(
      [...Array(8).keys()].map((i) =>
        t.app.services.tasks.transition(id, 'CHECKED_IN', { lease: { holder: `client-${i}`, expiresAt } }),
      ),
    );
    const winners = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{
      leaseHolder: string;
    }>[];
    expect(winners).toHaveLength(1);
    expect((await t.app.services.tasks.getTask(id))?.leaseHolder).toBe(winners[0]!.value.leaseHolder);
  });
});
