/**
 * A phase change reaches the transfer screen through the counters (its Phase field), not as a
 * notice line that would repeat it; the headless client, whose sink only logs, still prints it.
 */
import { expect, it } from 'vitest';
import { ProgressReporter } from '../../../tui/src/agent/progress-reporter.ts';
import { TransferClient } from '../../../tui/src/agent/transfer-client.ts';
import { sinkInto } from '../../../tui/src/client/task-runner.tsx';
import type { TransferAction } from '../../../tui/src/transfer/use-transfer-state.ts';

const client = () => new TransferClient({ server: 'http://127.0.0.1:9', mac: '52:54:00:aa:bb:09' });

it('Given the transfer screen, when a phase begins, then no notice line repeats it, while a logged line still shows', () => {
  const actions: TransferAction[] = [];
  const reporter = new ProgressReporter(client(), new AbortController(), {
    sink: sinkInto(
      (a) => actions.push(a),
      () => 0,
    ),
  });

  reporter.phase('blocks');
  reporter.block(0, 'written', 1024);

  expect(actions.filter((a) => a.type === 'notice')).toEqual([]);
  expect(actions.some((a) => a.type === 'progress' && a.counters.phase === 'blocks')).toBe(true);
});

it('Given a sink that only logs (the headless client), when a phase begins, then it is logged as a line', () => {
  const lines: string[] = [];
  const reporter = new ProgressReporter(client(), new AbortController(), {
    sink: { progress: () => undefined, log: (line) => lines.push(line) },
  });

  reporter.phase('tables');

  expect(lines).toEqual(['phase tables']);
});
