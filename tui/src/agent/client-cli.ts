/**
 * `brume client --server URL --disk PATH --mac MAC [--once] [--inventory-file JSON] [--verify]
 * [--state-dir DIR]`: the headless client. Checks in every 5 s (FOG's interval) until a task
 * comes, runs it, and with --once exits: 0 on success or when no task waits, 1 with the reason on
 * stderr on failure, 2 on bad usage.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { ProgressSink } from '../client/agent-port.ts';
import { Agent } from './agent.ts';

const USAGE =
  'usage: brume client --server URL --disk PATH --mac MAC [--once] [--inventory-file JSON] [--verify] [--state-dir DIR]\n';

function parse(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: 'string' },
      disk: { type: 'string' },
      mac: { type: 'string' },
      once: { type: 'boolean', default: false },
      'inventory-file': { type: 'string' },
      verify: { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  return values;
}

function stderrSink(): ProgressSink {
  let last = 0;
  return {
    progress(c) {
      const now = Date.now();
      if (now - last < 2000 && c.blocksDone < c.blocksTotal) return;
      last = now;
      process.stderr.write(`brume client: ${c.phase ?? ''} ${c.blocksDone}/${c.blocksTotal} blocks\n`);
    },
    log: (message) => process.stderr.write(`brume client: ${message}\n`),
  };
}

export async function clientCli(args: string[]): Promise<number> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(args);
  } catch (error) {
    process.stderr.write(`brume client: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.server || !values.disk || !values.mac) {
    process.stderr.write(`brume client: --server, --disk and --mac are required\n${USAGE}`);
    return 2;
  }
  const agent = new Agent({
    server: values.server,
    mac: values.mac,
    diskPath: values.disk,
    stateDir: values['state-dir'] ?? join(homedir(), '.local', 'state', 'brume', 'client'),
    verify: values.verify ?? false,
    ...(values['inventory-file'] ? { inventoryFile: values['inventory-file'] } : {}),
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await loop(agent, values.once ?? false, stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function loop(agent: Agent, once: boolean, signal: AbortSignal): Promise<number> {
  for (;;) {
    let checked: Awaited<ReturnType<Agent['checkIn']>>;
    try {
      checked = await agent.checkIn();
    } catch (error) {
      process.stderr.write(`brume client: check-in failed: ${(error as Error).message}\n`);
      if (once) return 1;
      await sleep(agent.pollSeconds * 1000, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return 1;
      continue;
    }
    if (checked.task === null) {
      if (once) {
        process.stderr.write(`brume client: no pending task (host ${checked.status.kind})\n`);
        return 0;
      }
    } else {
      process.stderr.write(`brume client: running ${checked.task.kind} task ${checked.task.id}\n`);
      const outcome = await agent.runTask(checked.task, stderrSink(), signal);
      if (outcome.kind === 'complete') process.stderr.write('brume client: task complete\n');
      else
        process.stderr.write(
          `brume client: task ${outcome.kind}${outcome.kind === 'failed' ? `: ${outcome.reason}` : ''}\n`,
        );
      if (once || signal.aborted) return outcome.kind === 'complete' ? 0 : 1;
    }
    await sleep(agent.pollSeconds * 1000, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return 1;
  }
}
