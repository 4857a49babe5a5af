/**
 * The operator's hand on the unicast line: a waiting deploy or capture moved to the front takes
 * the next free slot (the teacher's machine before the thirty student ones queued earlier).
 */
import { builder } from '../graphql/builder.ts';
import { decodeUuidOf } from '../hosts/inventory-ids.ts';
import { TaskNotFoundError, TaskNotInLineError } from '../tasks/task-errors.ts';
import { TaskRef } from '../tasks/tasks-graphql-types.ts';
import type { TaskRow } from '../tasks/tasks-table.ts';

const MoveTaskToFrontOfLineInput = builder.inputType('MoveTaskToFrontOfLineInput', {
  fields: (t) => ({ id: t.id({ description: 'A QUEUED deploy or capture.' }) }),
});

const MoveTaskToFrontOfLineSuccess = builder
  .objectRef<{ task: TaskRow }>('MoveTaskToFrontOfLineSuccess')
  .implement({
    authScopes: { viewer: true },
    fields: (t) => ({ task: t.expose('task', { type: TaskRef }) }),
  });

builder.mutationField('moveTaskToFrontOfLine', (t) =>
  t.field({
    type: MoveTaskToFrontOfLineSuccess,
    authScopes: { operator: true },
    description:
      'Puts a QUEUED deploy or capture ahead of every other one waiting for a unicast slot: its client takes the next free slot.',
    errors: { types: [TaskNotFoundError, TaskNotInLineError] },
    args: { input: t.arg({ type: MoveTaskToFrontOfLineInput }) },
    resolve: async (_r, { input }, ctx) => {
      const id = decodeUuidOf(input.id, 'Task');
      if (!id) throw new TaskNotFoundError(String(input.id).slice(0, 100));
      const task = await ctx.services.transfer.core.unicastSlots.moveToFront(id);
      await ctx.services.pubsub.publish('taskEvents', { kind: 'IN_LINE', task });
      return { task };
    },
  }),
);
