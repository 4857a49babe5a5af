/**
 * What went wrong in an outgoing fetch, in a sysadmin's words: fetch itself says only "fetch
 * failed", the system error (ECONNREFUSED, ENOTFOUND, ...) is in its cause chain.
 */
export function fetchFailure(err: unknown, timeoutMs: number): string {
  if ((err as Error | undefined)?.name === 'TimeoutError') return `no answer in ${timeoutMs / 1000} s`;
  type Cause = { code?: string; message?: string; errors?: Cause[]; cause?: Cause };
  let cause = (err as Cause | undefined)?.cause;
  while (cause?.cause && !cause.code) cause = cause.cause;
  const code = cause?.code ?? cause?.errors?.find((e) => e.code)?.code;
  return code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
