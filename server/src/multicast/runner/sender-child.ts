/**
 * The sender as a child process (multicast-sender-process.ts, run from its bundle): a session's
 * paced UDP loop and block reads stay off the API's event loop, and a sender crash fails one
 * session instead of the server. Its stdout is JSON lines: progress snapshots, then a report.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SenderSnapshot } from '../sender/ports.ts';
import type { SessionReport } from '../sender/sender.ts';
import { nodeArgsFor } from './process-bundle.ts';

const ENTRY = fileURLToPath(new URL('../multicast-sender-process.ts', import.meta.url));

export type SenderExit =
  | { readonly kind: 'report'; readonly report: SessionReport; readonly code: number | null }
  | { readonly kind: 'died'; readonly reason: string };

export interface SenderChildEvents {
  readonly progress: (snapshot: SenderSnapshot) => void;
  readonly exit: (exit: SenderExit) => void;
}

export interface SenderChild {
  readonly pid: number | undefined;
  /** Asks the sender to stop (it aborts the session and prints its report); SIGKILL after 5 s. */
  stop(): void;
}

function lineReader(onLine: (line: string) => void) {
  let buffer = '';
  return (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      onLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
    // A sender never prints lines this long: drop garbage instead of growing without bound.
    if (buffer.length > 4 * 1024 * 1024) buffer = '';
  };
}

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Senders must not outlive the server: they hold the group's ports and the image's chunks. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}

export function spawnSender(
  configFile: string,
  events: SenderChildEvents,
  netns: string | null = null,
): SenderChild {
  installExitHook();
  const node = [process.execPath, ...nodeArgsFor(ENTRY), configFile];
  // `ip netns exec` execs node in place: the child's pid (and its signals) stay the sender's.
  const [command, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...node] : node;
  const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let report: SessionReport | null = null;
  let stderr = '';
  child.stdout?.on(
    'data',
    lineReader((line) => {
      let parsed: { event?: string } & Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        return;
      }
      if (parsed.event === 'progress') events.progress(parsed as unknown as SenderSnapshot);
      else if (parsed.event === 'report') report = parsed as unknown as SessionReport;
    }),
  );
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-2000);
  });
  let killTimer: NodeJS.Timeout | null = null;
  const finish = (exit: SenderExit) => {
    children.delete(child);
    if (killTimer) clearTimeout(killTimer);
    events.exit(exit);
  };
  child.once('error', (err) => finish({ kind: 'died', reason: `sender did not start: ${err.message}` }));
  child.once('exit', (code, signal) => {
    if (report) return finish({ kind: 'report', report, code });
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const last = stderr.trim().split('\n').at(-1) ?? '';
    finish({ kind: 'died', reason: `the sender died (${how})${last ? `: ${last.slice(0, 300)}` : ''}` });
  });
  return {
    pid: child.pid,
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
      killTimer.unref();
    },
  };
}
