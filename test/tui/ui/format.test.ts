import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatPercent, formatRate } from '../../../tui/src/ui/format.ts';

describe('progress formatting (IEC units, short durations)', () => {
  it('shows sizes in IEC units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(12.4 * 1024 ** 3)).toBe('12.4 GiB');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(-1)).toBe('—');
  });
  it('shows a rate per second, or a dash when unknown', () => {
    expect(formatRate(118 * 1024 * 1024)).toBe('118 MiB/s');
    expect(formatRate(null)).toBe('—');
  });
  it('shows durations like 2m31s and 1h02m', () => {
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(151)).toBe('2m31s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('—');
  });
  it('shows percent with one decimal, clamped, zero for an unknown total', () => {
    expect(formatPercent(423, 1000)).toBe('42.3%');
    expect(formatPercent(5, 0)).toBe('0.0%');
    expect(formatPercent(2000, 1000)).toBe('100.0%');
  });
});
