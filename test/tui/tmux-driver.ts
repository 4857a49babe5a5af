/**
 * Drives a program in a real terminal: tmux on a private socket (never the user's server), a fixed
 * size, keys sent with `send-keys`, the screen read with `capture-pane`, waits bounded by a timeout.
 * For the end-to-end tests of both faces (`brume menu`, `brume console`).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TmuxStartOptions {
  /** @default 80 */
  readonly columns?: number;
  /** @default 24 */
  readonly rows?: number;
  readonly cwd?: string;
  /** Extra environment for the program (TERM is xterm-256color, CI is false). */
  readonly env?: Record<string, string>;
}

/** A wait ran out; carries the last screen so the failure shows what was there. */
export class TmuxTimeoutError extends Error {
  readonly code = 'TMUX_TIMEOUT';
  readonly screen: string;
  constructor(what: string, screen: string) {
    super(`timed out waiting for ${what}; screen was:\n${screen}`);
    this.name = 'TmuxTimeoutError';
    this.screen = screen;
  }
}

export class TmuxSession {
  private readonly socket: string;
  readonly name: string;

  private constructor(socket: string, name: string) {
    this.socket = socket;
    this.name = name;
  }

  private tmux(args: string[]) {
    return run('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  /** Starts `command` (argv) in a new detached session of the given size. */
  static async start(command: readonly string[], options: TmuxStartOptions = {}): Promise<TmuxSession> {
    const id = randomBytes(4).toString('hex');
    const session = new TmuxSession(`brume-tui-${process.pid}-${id}`, `s${id}`);
    // A real terminal, even when the tests run under CI=true: Ink (is-in-ci) would otherwise draw
    // nothing until the program exits.
    const terminal = { TERM: 'xterm-256color', CI: 'false', CONTINUOUS_INTEGRATION: 'false' };
    const env = Object.entries({ ...terminal, ...options.env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await session.tmux([
      'new-session',
      '-d',
      '-s',
      session.name,
      '-x',
      String(options.columns ?? 80),
      '-y',
      String(options.rows ?? 24),
      ...(options.cwd ? ['-c', options.cwd] : []),
      ...env,
      // The shell prints the exit status on the pane: tmux 3.3a leaves #{pane_dead_status} empty
      // for any non-zero status, so exitStatus() reads it from there instead.
      'sh',
      '-c',
      '"$@"; s=$?; printf "\\n[exit %s]\\n" "$s"; exit "$s"',
      'sh',
      ...command,
    ]);
    // Keep the pane after the program exits so its last screen and exit status can be read.
    await session.tmux(['set-option', '-t', session.name, 'remain-on-exit', 'on']);
    return session;
  }

  /** Sends keys as tmux names them (`Enter`, `Down`, `Escape`, `C-c`) or literal text with `literal`. */
  async sendKeys(keys: readonly string[], literal = false): Promise<void> {
    await this.tmux(['send-keys', '-t', this.name, ...(literal ? ['-l'] : []), ...keys]);
  }

  /** The visible screen as text, one line per row, trailing spaces trimmed. */
  async capture(): Promise<string> {
    const { stdout } = await this.tmux(['capture-pane', '-p', '-t', this.name]);
    return stdout
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n');
  }

  /** Waits until the screen matches, polling every 100 ms; throws with the last screen after `timeoutMs`. */
  async waitForText(pattern: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let screen = '';
    for (;;) {
      screen = await this.capture();
      if (typeof pattern === 'string' ? screen.includes(pattern) : pattern.test(screen)) return screen;
      if (Date.now() > end) throw new TmuxTimeoutError(String(pattern), screen);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * The program's exit status once it ended (128 + n when killed by signal n), or null while it
   * runs or while tmux has not recorded the status yet (a dead pane's status can lag a moment).
   */
  async exitStatus(): Promise<number | null> {
    const format = '#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}';
    const { stdout } = await this.tmux(['display-message', '-p', '-t', this.name, format]);
    const [dead, status, signal] = stdout.trim().split('|');
    if (dead !== '1') return null;
    if (status) return Number(status);
    if (signal) return 128 + Number(signal);
    const printed = [...(await this.capture()).matchAll(/\[exit (\d+)\]/g)].at(-1);
    return printed ? Number(printed[1]) : null;
  }

  /**
   * Sends `keys` until the program exits (at most `attempts` times, `perAttemptMs` apart) and
   * returns its exit status, or null. Resending covers a key merged with a previous Escape into an
   * Alt chord when both reach a busy program in one read.
   */
  async sendUntilExit(keys: readonly string[], attempts = 3, perAttemptMs = 5000): Promise<number | null> {
    for (let i = 0; i < attempts; i++) {
      await this.sendKeys(keys);
      const end = Date.now() + perAttemptMs;
      while (Date.now() < end) {
        const status = await this.exitStatus();
        if (status !== null) return status;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return null;
  }

  /** Kills the session and its private tmux server. */
  async kill(): Promise<void> {
    await this.tmux(['kill-server']).catch(() => {});
  }
}
