/**
 * Display helpers for progress: IEC units (GiB, MiB/s), durations as `2m31s`, percentages with one
 * decimal. One formatting for every screen, so the numbers read the same everywhere.
 */
import prettyBytes from 'pretty-bytes';

/** `12.4 GiB`; `—` for an unknown size. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  return prettyBytes(bytes, { binary: true });
}

/** `118 MiB/s`; `—` when the rate is not known yet. */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond === null || bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond)) return '—';
  return `${formatBytes(Math.max(0, bytesPerSecond))}/s`;
}

/** `2m31s`, `1h02m`, `45s`; `—` when unknown (no rate yet, or an absurd value). */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 100) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** `42.3%`. A ratio with an unknown or zero total shows `0.0%`; never above 100. */
export function formatPercent(done: number, total: number): string {
  return `${percentOf(done, total).toFixed(1)}%`;
}

/** The percentage as a number in [0, 100]. */
export function percentOf(done: number, total: number): number {
  if (!(total > 0) || !Number.isFinite(done)) return 0;
  return Math.min(100, Math.max(0, (done / total) * 100));
}
