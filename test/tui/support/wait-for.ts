/** Waits until `check` returns true, polling every 20 ms, failing after `timeoutMs` with `what`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Lets Ink process queued input and renders. */
export const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));
