/**
 * Runs `fn` over indices 0..count-1 with at most `concurrency` in flight: the memory bound and the
 * backpressure of the pipelines (each runner owns one block buffer). The first error or an abort
 * stops new work; in-flight items finish, then the error is thrown.
 */
export class OperationAbortedError extends Error {
  readonly code = 'ABORTED';
  constructor(reason?: unknown) {
    super(`aborted${reason instanceof Error ? `: ${reason.message}` : ''}`);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new OperationAbortedError(signal.reason);
}

export async function boundedRun(
  count: number,
  concurrency: number,
  fn: (index: number, runner: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const runner = async (id: number) => {
    while (failure === null && next < count) {
      if (signal?.aborted) {
        failure ??= { error: new OperationAbortedError(signal.reason) };
        return;
      }
      const index = next++;
      try {
        await fn(index, id);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const n = Math.max(1, Math.min(concurrency, count));
  await Promise.all(Array.from({ length: n }, (_, id) => runner(id)));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
