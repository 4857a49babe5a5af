import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';

/**
 * Keeps one dnsmasq process alive: starts it in the foreground, folds its output into our logger,
 * restarts it with exponential backoff when it dies, and stops it with the server.
 */

export type DnsmasqState = 'stopped' | 'running' | 'backoff' | 'stopping';

export interface DnsmasqStatus {
  readonly state: DnsmasqState;
  readonly pid: number | null;
  /** How many times it was started again after dying. */
  readonly restarts: number;
  /** The last error line dnsmasq printed, or how it exited. */
  readonly lastError: string | null;
  readonly startedAt: Date | null;
}

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** A run longer than this counts as healthy: the next failure starts from initialMs again. */
  readonly stableAfterMs: number;
}

export interface DnsmasqSupervisorOptions {
  readonly dnsmasqPath: string;
  readonly confPath: string;
  readonly log: Logger;
  /** Prepended to the command line, e.g. `ip netns exec <ns>` in tests. */
  readonly commandPrefix?: readonly string[];
  readonly backoff?: Partial<BackoffPolicy>;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs?: number;
}

const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, stableAfterMs: 10_000 };

/** dnsmasq prints "dnsmasq-dhcp[123]: text"; failures read like "dnsmasq: failed to ...". */
const LINE = /^(dnsmasq(?:-[a-z]+)?)(?:\[\d+\])?: (.*)$/;
const PROBLEM = /\b(fail|failed|error|cannot|bad|unknown|illegal|refused|denied|not found)\b/i;

export class DnsmasqSupervisor {
  readonly #opts: DnsmasqSupervisorOptions;
  readonly #backoff: BackoffPolicy;
  readonly #log: Logger;
  #child: ChildProcess | null = null;
  #state: DnsmasqState = 'stopped';
  #restarts = 0;
  #lastError: string | null = null;
  #startedAt: Date | null = null;
  #delayMs: number;
  #timer: NodeJS.Timeout | null = null;
  #exited: Promise<void> = Promise.resolve();
  readonly #killOnExit = () => this.#child?.kill('SIGKILL');

  constructor(opts: DnsmasqSupervisorOptions) {
    this.#opts = opts;
    this.#backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.#delayMs = this.#backoff.initialMs;
    this.#log = opts.log.child({ component: 'dnsmasq' });
  }

  status(): DnsmasqStatus {
    return {
      state: this.#state,
      pid: this.#child?.pid ?? null,
      restarts: this.#restarts,
      lastError: this.#lastError,
      startedAt: this.#startedAt,
    };
  }

  /** Starts dnsmasq; resolves once the process exists (it may still die and be restarted). */
  async start(): Promise<void> {
    if (this.#state !== 'stopped') return;
    // If the server dies without calling stop(), dnsmasq must not linger holding port 67.
    process.once('exit', this.#killOnExit);
    await this.#spawn();
  }

  #spawn(): Promise<void> {
    const prefix = this.#opts.commandPrefix ?? [];
    const argv = [
      ...prefix,
      this.#opts.dnsmasqPath,
      `--conf-file=${this.#opts.confPath}`,
      '--keep-in-foreground',
    ];
    const [command, ...args] = argv as [string, ...string[]];
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#state = 'running';
    this.#startedAt = new Date();
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.#foldLine(line));
    }
    this.#exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.#onExit(child, code, signal);
        resolve();
      });
    });
    return new Promise((resolve) => {
      child.once('spawn', () => resolve());
      child.once('error', (error) => {
        this.#lastError = `cannot start ${command}: ${error.message}`;
        resolve();
      });
    });
  }

  #foldLine(line: string): void {
    const match = LINE.exec(line);
    const facility = match?.[1] ?? 'dnsmasq';
    const text = match?.[2] ?? line;
    if (PROBLEM.test(text)) {
      this.#lastError = text;
      this.#log.warn({ facility }, text);
    } else {
      this.#log.info({ facility }, text);
    }
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return;
    this.#child = null;
    if (this.#state === 'stopping') {
      this.#state = 'stopped';
      return;
    }
    const ranMs = Date.now() - (this.#startedAt?.getTime() ?? Date.now());
    if (ranMs >= this.#backoff.stableAfterMs) this.#delayMs = this.#backoff.initialMs;
    const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
    this.#lastError = this.#lastError ?? `dnsmasq ended with ${how}`;
    this.#log.error(
      { code, signal, restartInMs: this.#delayMs, lastError: this.#lastError },
      `dnsmasq ended (${how}); restarting`,
    );
    this.#state = 'backoff';
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#restarts += 1;
      void this.#spawn();
    }, this.#delayMs);
    this.#delayMs = Math.min(this.#delayMs * 2, this.#backoff.maxMs);
  }

  /** Stops dnsmasq (SIGTERM, then SIGKILL after a grace period) and cancels any pending restart. */
  async stop(): Promise<void> {
    process.removeListener('exit', this.#killOnExit);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const child = this.#child;
    if (child === null) {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopping';
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), this.#opts.stopTimeoutMs ?? 5000);
    await this.#exited;
    clearTimeout(killer);
    this.#state = 'stopped';
  }
}
