/** Output of the image CLI: IEC units, a progress line on stderr when it is a terminal. */
import type { ProgressCounters, ProgressSink } from '../pipeline/progress.ts';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function iec(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

export function seconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${Math.round(s % 60)}s`;
}

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** A throttled one-line progress display on a TTY stderr; nothing otherwise. */
export function progressSink(io: CliIo, label: string): ProgressSink & { end(): void } {
  if (!io.stderr.isTTY) return { end() {} };
  const start = performance.now();
  let last = 0;
  let shown = false;
  const render = (c: ProgressCounters) => {
    const elapsed = (performance.now() - start) / 1000;
    const pct = c.bytesTotal > 0 ? ((100 * c.bytesDone) / c.bytesTotal).toFixed(1) : '0.0';
    const rate = elapsed > 0 ? c.bytesDone / elapsed : 0;
    const eta = rate > 0 ? seconds((c.bytesTotal - c.bytesDone) / rate) : '?';
    const part = c.partition === null ? '' : ` p${c.partition}`;
    io.stderr.write(
      `\r\x1b[2K${label} ${c.phase}${part} ${pct}%  ${iec(c.bytesDone)} / ${iec(c.bytesTotal)}  ${iec(rate)}/s  ETA ${eta}`,
    );
    shown = true;
  };
  return {
    progress(c) {
      const now = performance.now();
      if (now - last < 200 && c.blocksDone < c.blocksTotal) return;
      last = now;
      render(c);
    },
    end() {
      if (shown) io.stderr.write('\n');
    },
  };
}
