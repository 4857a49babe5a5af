import { describe, expect, it } from 'vitest';
import { createLinePrinter, outcomeLine, progressLine } from '../../../tui/src/plain/plain-progress.ts';
import { initialTransfer, transferReducer } from '../../../tui/src/transfer/use-transfer-state.ts';

const MiB = 1048576;
const at = (done: number, ms: number, s = initialTransfer('DEPLOY win11 → /dev/sda', 0)) =>
  transferReducer(s, {
    type: 'progress',
    counters: {
      blocksDone: done,
      blocksTotal: 100,
      bytesDone: done * MiB,
      bytesTotal: 100 * MiB,
      phase: 'writing',
      partition: 2,
    },
    atMs: ms,
  });

describe('plain line output (stdout not a TTY)', () => {
  it('one line says where, how far, how fast and how long', () => {
    const s = at(50, 10_000, at(0, 0));
    expect(progressLine(s)).toBe(
      'DEPLOY win11 → /dev/sda  p2 writing  50.0%  50 MiB / 100 MiB  5 MiB/s  ETA 10s',
    );
  });

  it('given events every 10 ms for 3 s, prints at most one line per second', () => {
    const lines: string[] = [];
    const printer = createLinePrinter((l) => lines.push(l), 1000);
    let s = at(0, 0);
    for (let ms = 0; ms <= 3000; ms += 10) {
      s = at(Math.floor(ms / 30), ms, s);
      printer.progress(s, ms);
    }
    expect(lines.length).toBe(4); // t = 0, 1, 2, 3 s
  });

  it('the last line gives the outcome and the reason, escaped', () => {
    const s = transferReducer(at(10, 1000), {
      type: 'finished',
      outcome: 'failed',
      message: 'disk \x1b[31mgone',
      atMs: 2000,
    });
    expect(outcomeLine(s)).toBe('DEPLOY win11 → /dev/sda  failed: disk \\x1b[31mgone');
  });
});
