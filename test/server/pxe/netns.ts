import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** Test helpers around netns-harness.sh: topology up/down and commands inside a namespace. */

export const HARNESS = fileURLToPath(new URL('./netns-harness.sh', import.meta.url));

export type NetnsAvailability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Not root or a missing tool is a failure (thrown: CI must install them); only an environment
 * where network namespaces cannot exist at all makes the network tests skip.
 */
export function netnsAvailability(): NetnsAvailability {
  try {
    execFileSync(HARNESS, ['check'], { stdio: 'pipe' });
    return { ok: true };
  } catch (error) {
    const e = error as { status?: number; stderr?: Buffer };
    const message = e.stderr?.toString().trim() ?? String(error);
    if (e.status === 3) return { ok: false, reason: message };
    throw new Error(`PXE network tests cannot run: ${message}`);
  }
}

export function uniquePrefix(): string {
  return `brpxe-${randomBytes(3).toString('hex')}`;
}

export function topologyUp(prefix: string, leaves: Record<string, string>): void {
  const specs = Object.entries(leaves).map(([leaf, cidr]) => `${leaf}=${cidr}`);
  execFileSync(HARNESS, ['up', prefix, ...specs], { stdio: 'pipe' });
}

export function topologyDown(prefix: string): void {
  execFileSync(HARNESS, ['down', prefix], { stdio: 'pipe' });
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command inside a namespace; never rejects, the exit code is in the result. */
export function nsRun(
  ns: string,
  argv: readonly string[],
  opts: { timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', ns, ...argv],
      { timeout: opts.timeoutMs ?? 20_000, cwd: opts.cwd, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
  });
}
