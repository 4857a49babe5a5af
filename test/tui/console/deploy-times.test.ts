import { describe, expect, it } from 'vitest';
import { deployTimes } from '../../../tui/src/console/use-console-keys.ts';

describe('when a console deploy may run', () => {
  it('Given the morning, then now, this evening at 22:00, and the night after at 02:00, in that order', () => {
    const options = deployTimes(new Date(2026, 10, 26, 10, 15));
    expect(options.map((o) => o.label)).toEqual(['now', 'at 2026-11-26 22:00', 'at 2026-11-27 02:00']);
    expect(options[0]?.value).toBe('');
    expect(options[1]?.value).toBe(new Date(2026, 10, 26, 22, 0).toISOString());
  });

  it('Given 23:30, then 02:00 comes first and 22:00 is tomorrow evening; an exact hour is not offered again', () => {
    expect(deployTimes(new Date(2026, 10, 26, 23, 30)).map((o) => o.label)).toEqual([
      'now',
      'at 2026-11-27 02:00',
      'at 2026-11-27 22:00',
    ]);
    expect(deployTimes(new Date(2026, 10, 26, 22, 0)).map((o) => o.label)).toEqual([
      'now',
      'at 2026-11-27 02:00',
      'at 2026-11-27 22:00',
    ]);
  });
});
