/**
 * Live events are not replayed: a test that causes an event must first know the client's
 * subscriptions reached the server. The server exports their count on /metrics.
 */
export async function activeSubscriptions(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^brume_graphql_active_subscriptions (\d+)/m.exec(text)?.[1] ?? 0);
}

export async function waitForSubscriptions(base: string, n: number, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await activeSubscriptions(base)) < n) {
    if (Date.now() > end) throw new Error(`the server never held ${n} subscriptions`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
