import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

/** The smallest terminal the layouts are designed for; smaller ones get the same layout, clipped. */
export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

function read(stdout: NodeJS.WriteStream): TerminalSize {
  return {
    columns: Math.max(MIN_COLUMNS, stdout.columns || MIN_COLUMNS),
    rows: Math.max(MIN_ROWS, stdout.rows || MIN_ROWS),
  };
}

/** The terminal size, updated on `resize`; never below 80x24 so layouts can rely on it. */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => read(stdout));
  useEffect(() => {
    const onResize = () => setSize(read(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
