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
} from './agent-port.ts';

// A variable specifier: the agent may not exist at typecheck time.
const AGENT_MODULE = '../agent/index.ts';

export async function loadAgent(options: AgentPortOptions): Promise<AgentPort> {
  const mod = (await import(AGENT_MODULE).catch(() => null)) as { createAgentPort?: CreateAgentPort } | null;
  if (mod?.createAgentPort) return mod.createAgentPort(options);
  return standInAgent(options);
}

export function standInAgent(options: AgentPortOptions): AgentPort {
  const missing = (what: string) => () => Promise.reject(new AgentUnavailableError(what));
  return {
    mac: options.mac,
    diskPath: options.diskPath,
    checkIn: missing('check-in'),
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
