import { describe, expect, it } from 'vitest';
import { addSample, emptySmoother, etaSeconds } from '../../../tui/src/ui/rate-smoother.ts';

describe('rate/ETA smoother', () => {
  it('given one sample, knows no rate yet', () => {
    const s = addSample(emptySmoother, { bytesDone: 100, atMs: 0 });
    expect(s.rate).toBeNull();
    expect(etaSeconds(s, 1000)).toBeNull();
  });

  it('given a steady 1 MiB/s, converges to it and predicts the ETA', () => {
    let s = emptySmoother;
    for (let t = 0; t <= 20; t++) s = addSample(s, { bytesDone: t * 1048576, atMs: t * 1000 });
    expect(s.rate).toBeCloseTo(1048576, 0);
    expect(etaSeconds(s, 30 * 1048576)).toBeCloseTo(10, 1);
  });

  it('when one batch is bursty, the smoothed rate moves only part of the way', () => {
    let s = emptySmoother;
    for (let t = 0; t <= 10; t++) s = addSample(s, { bytesDone: t * 1000, atMs: t * 1000 });
    s = addSample(s, { bytesDone: 10_000 + 100_000, atMs: 11_000 }); // one 100 kB/s second
    expect(s.rate).toBeGreaterThan(1000);
    expect(s.rate).toBeLessThan(30_000);
  });

  it('ignores samples with no time between them and restarts when counters go back', () => {
    let s = addSample(emptySmoother, { bytesDone: 0, atMs: 0 });
    s = addSample(s, { bytesDone: 1000, atMs: 1000 });
    const same = addSample(s, { bytesDone: 5000, atMs: 1000 });
    expect(same.rate).toBe(s.rate);
    const restarted = addSample(s, { bytesDone: 10, atMs: 2000 });
    expect(restarted.rate).toBeNull();
  });
});
