/**
 * Plain line output for a transfer when stdout is not a terminal (logs, CI, `| tee`): one line per
 * second at most, in the same words as the screen, and a last line with the outcome.
 */
import { displayEta, displayRate, type TransferState } from '../transfer/use-transfer-state.ts';
import { formatBytes, formatDuration, formatPercent, formatRate } from '../ui/format.ts';
import { sanitizeText } from '../ui/sanitize.ts';

export function progressLine(s: TransferState): string {
  const c = s.counters;
  const pct =
    c.bytesTotal > 0 ? formatPercent(c.bytesDone, c.bytesTotal) : formatPercent(c.blocksDone, c.blocksTotal);
  const where =
    `${c.partition === undefined || c.partition === null ? '' : `p${c.partition} `}${c.phase ?? ''}`.trim();
  return sanitizeText(
    `${s.title}  ${where ? `${where}  ` : ''}${pct}  ${formatBytes(c.bytesDone)} / ${formatBytes(c.bytesTotal)}  ${formatRate(displayRate(s))}  ETA ${formatDuration(displayEta(s))}`,
  );
}

export function outcomeLine(s: TransferState): string {
  const tail = s.message ? `: ${sanitizeText(s.message)}` : '';
  return `${sanitizeText(s.title)}  ${s.outcome}${tail}`;
}

/** Prints at most one progress line per `intervalMs` (the clock is passed in, for tests). */
export function createLinePrinter(write: (line: string) => void, intervalMs = 1000) {
  let lastAt = Number.NEGATIVE_INFINITY;
  return {
    progress(s: TransferState, nowMs: number) {
      if (nowMs - lastAt < intervalMs) return;
      lastAt = nowMs;
      write(`${progressLine(s)}\n`);
    },
    finished(s: TransferState) {
      write(`${progressLine(s)}\n${outcomeLine(s)}\n`);
    },
  };
}
