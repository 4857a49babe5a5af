/** @jsxRuntime automatic */
import { useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { TransferScreen } from '../transfer/transfer-screen.tsx';
import {
  initialTransfer,
  type TransferAction,
  type TransferState,
  transferReducer,
} from '../transfer/use-transfer-state.ts';
import { createThrottledStore, type Scheduler } from '../ui/throttled-store.ts';
import { useThrottledStore } from '../ui/use-throttled-store.ts';
import type { AgentPort, AgentTask, ProgressSink, TaskOutcome } from './agent-port.ts';

export interface TaskRunnerProps {
  readonly agent: AgentPort;
  readonly task: AgentTask;
  readonly width: number;
  readonly height: number;
  /** Called once the task ended and the user saw the final screen. */
  readonly onDone: (outcome: TaskOutcome) => void;
  /** Timers for the render throttle (tests). */
  readonly scheduler?: Scheduler;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Turns the agent's sink calls into transfer actions (the agent never touches React). */
export function sinkInto(dispatch: (a: TransferAction) => void, now: () => number): ProgressSink {
  return {
    progress: (counters) => dispatch({ type: 'progress', counters, atMs: now() }),
    blocks: (updates) => dispatch({ type: 'map', action: { type: 'blocks', updates } }),
    log: (message) => dispatch({ type: 'notice', message }),
    // The screen's Phase field follows the counters: a notice line would only repeat it.
    phase: () => undefined,
  };
}

/** Runs one task through the agent with the transfer screen; `q` is ignored, Ctrl+C cancels. */
export function TaskRunner({
  agent,
  task,
  width,
  height,
  onDone,
  scheduler,
  now = Date.now,
}: TaskRunnerProps) {
  const title = `${task.kind}${task.imageName ? ` ${task.imageName}` : ''} → ${agent.diskPath}`;
  const [store] = useState(() =>
    createThrottledStore<TransferState, TransferAction>(
      transferReducer,
      initialTransfer(title, now()),
      scheduler ? { scheduler } : {},
    ),
  );
  const state = useThrottledStore(store);
  // A ref, set before the final frame is drawn: Enter pressed as soon as "complete" shows must count.
  const outcome = useRef<TaskOutcome | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    const tick = setInterval(() => store.dispatch({ type: 'tick', atMs: now() }), 1000);
    agent
      .runTask(task, sinkInto(store.dispatch, now), abort.signal)
      .catch((e): TaskOutcome => ({ kind: 'failed', reason: e instanceof Error ? e.message : String(e) }))
      .then((o) => {
        clearInterval(tick);
        outcome.current = o;
        const message =
          o.kind === 'failed' ? o.reason : o.kind === 'complete' ? 'Press Enter to continue' : null;
        store.dispatchNow({ type: 'finished', outcome: o.kind, message, atMs: now() });
      });
    return () => {
      clearInterval(tick);
      abort.abort();
      store.dispose();
    };
  }, [agent, task, store, now]);
  useInput((_, key) => {
    if (outcome.current && (key.return || key.escape)) onDone(outcome.current);
  });
  return <TransferScreen state={state} width={width} height={height} />;
}
