import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createThrottledStore } from '../../../tui/src/ui/throttled-store.ts';
import { useThrottledStore } from '../../../tui/src/ui/use-throttled-store.ts';

type Action = { type: 'add'; n: number };
const reducer = (s: number, a: Action) => s + a.n;

afterEach(() => {
  vi.useRealTimers();
});

describe('render throttle', () => {
  it('given events at 1 kHz for 2 s, the component renders at most ~10 times per second', async () => {
    vi.useFakeTimers();
    const store = createThrottledStore(reducer, 0, { intervalMs: 100 });
    let renders = 0;
    function Counter() {
      const n = useThrottledStore(store);
      renders += 1;
      return <Text>{`n=${n}`}</Text>;
    }
    const app = render(<Counter />);
    const rendersBefore = renders;
    for (let ms = 0; ms < 2000; ms++) {
      store.dispatch({ type: 'add', n: 1 });
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(200);
    const during = renders - rendersBefore;
    expect(store.getState()).toBe(2000);
    expect(during).toBeGreaterThanOrEqual(10); // it does render while events flow
    expect(during).toBeLessThanOrEqual(21); // ≤ 10 per second over 2 s (+1 trailing)
    expect(app.lastFrame()).toBe('n=2000'); // and the last frame is up to date
    app.unmount();
    store.dispose();
  });

  it('control: without the throttle (1 ms interval) the same events cause far more renders', async () => {
    vi.useFakeTimers();
    const store = createThrottledStore(reducer, 0, { intervalMs: 1 });
    let renders = 0;
    function Counter() {
      const n = useThrottledStore(store);
      renders += 1;
      return <Text>{`n=${n}`}</Text>;
    }
    const app = render(<Counter />);
    for (let ms = 0; ms < 200; ms++) {
      store.dispatch({ type: 'add', n: 1 });
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(renders).toBeGreaterThan(100); // so the bound above really measures the throttle
    app.unmount();
    store.dispose();
  });

  it('dispatchNow publishes at once (keys are never throttled)', () => {
    const store = createThrottledStore(reducer, 0, { intervalMs: 100_000 });
    const seen: number[] = [];
    store.subscribe(() => seen.push(store.getSnapshot()));
    store.dispatch({ type: 'add', n: 1 });
    expect(store.getSnapshot()).toBe(0);
    store.dispatchNow({ type: 'add', n: 1 });
    expect(seen).toEqual([2]);
    store.dispose();
  });
});
