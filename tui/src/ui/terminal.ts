/**
 * Full-screen mode: the alternate screen and a hidden cursor while the UI runs, and the terminal
 * given back as it was on every way out (normal exit, exception, SIGINT/SIGTERM/SIGHUP) through
 * signal-exit.
 */
import ansiEscapes from 'ansi-escapes';
import { onExit } from 'signal-exit';

export interface FullScreen {
  /** Leaves the alternate screen; safe to call twice. */
  restore(): void;
}

/** Enters the alternate screen on `stream` when it is a TTY; otherwise does nothing. */
export function enterFullScreen(stream: NodeJS.WriteStream): FullScreen {
  if (!stream.isTTY) return { restore() {} };
  let restored = false;
  stream.write(ansiEscapes.enterAlternativeScreen + ansiEscapes.cursorHide + ansiEscapes.clearScreen);
  const restore = () => {
    if (restored) return;
    restored = true;
    removeHook();
    stream.write(ansiEscapes.cursorShow + ansiEscapes.exitAlternativeScreen);
  };
  const removeHook = onExit(() => restore(), { alwaysLast: true });
  return { restore };
}
