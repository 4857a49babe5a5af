/**
 * Adds the per-block view to `TaskProgress`: the block updates since the task's previous event
 * and the done set as ranges (PROTOCOL.md "Progress"). Null on events not published by the data
 * plane (the row checkpoint a late subscriber receives first).
 */
import { builder } from '../graphql/builder.ts';
import { TaskProgressRef } from '../tasks/tasks-graphql-types.ts';
import type { BlockUpdate } from './progress-hub.ts';
import './unicast-line-graphql.ts';

interface TransferProgressExtras {
  readonly blocks?: readonly BlockUpdate[];
  readonly doneRanges?: readonly number[] | null;
}

const TaskBlockUpdateRef = builder.objectRef<BlockUpdate>('TaskBlockUpdate').implement({
  authScopes: { viewer: true },
  description: 'One block finished (or failed) since the previous progress event of the task.',
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Index in the manifest (deploy) or capture plan.' }),
    state: t.exposeString('state', {
      description: 'written, skipped, uploaded, deduplicated, verified or failed.',
    }),
  }),
});

builder.objectFields(TaskProgressRef, (t) => ({
  blocks: t.field({
    type: [TaskBlockUpdateRef],
    nullable: true,
    description: 'Block updates since the previous event of this task (per task, not per subscriber).',
    resolve: (p) => (p as TransferProgressExtras).blocks ?? null,
  }),
  doneRanges: t.intList({
    nullable: true,
    description:
      'Every finished block so far as flattened half-open [start, end) index pairs; null when too fragmented.',
    resolve: (p) => {
      const ranges = (p as TransferProgressExtras).doneRanges;
      return ranges ? [...ranges] : null;
    },
  }),
}));
