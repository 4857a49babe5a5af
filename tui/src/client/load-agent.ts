/**
 * Finds the client agent (`tui/src/agent/index.ts`, `createAgentPort`). When it is not there yet,
 * a stand-in answers what the client face can do itself (the target disk's identity) and fails
 * the rest with `AgentUnavailableError`, so the menu shows why instead of crashing.
 */
import {
  type AgentPort,
  type AgentPortOptions,
  AgentUnavailableError,
  type CreateAgentPort,
  type HostStatus,
} from './agent-port.ts';

// A variable specifier: the agent may not exist at typecheck time.
const AGENT_MODULE = '../agent/index.ts';

/** Host state by MAC through an operator's token (the stand-in's only way to know it). */
export type HostLookup = (mac: string) => Promise<HostStatus>;

export async function loadAgent(options: AgentPortOptions, lookup?: HostLookup): Promise<AgentPort> {
  const mod = (await import(AGENT_MODULE).catch(() => null)) as { createAgentPort?: CreateAgentPort } | null;
  if (mod?.createAgentPort) return mod.createAgentPort(options);
  return standInAgent(options, lookup);
}

export function standInAgent(options: AgentPortOptions, lookup?: HostLookup): AgentPort {
  const missing = (what: string) => () => Promise.reject(new AgentUnavailableError(what));
  return {
    mac: options.mac,
    diskPath: options.diskPath,
    checkIn: lookup
      ? async () => ({ status: await lookup(options.mac), task: null })
      : missing('check-in (set BRUME_TOKEN to show the menu without the agent)'),
    register: missing('registration'),
    collectInventory: missing('inventory'),
    runTask: missing('running a task'),
    async describeTarget() {
      const { describeDisk } = await import('@brume/server/imaging/disk/open-disk.ts');
      const d = await describeDisk(options.diskPath);
      return {
        path: d.path,
        model: d.identity.model ?? null,
        serial: d.identity.serial ?? null,
        sizeBytes: d.size,
        removable: d.identity.removable ?? false,
      };
    },
  };
}
