/** The client agent as the client face loads it (`load-agent.ts` looks for `createAgentPort`). */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AgentPort, AgentPortOptions, CreateAgentPort } from '../client/agent-port.ts';
import { Agent } from './agent.ts';

export { Agent, type AgentOptions } from './agent.ts';

export const createAgentPort: CreateAgentPort = (options: AgentPortOptions): AgentPort =>
  new Agent({
    server: options.server,
    mac: options.mac,
    diskPath: options.diskPath,
    stateDir: join(homedir(), '.local', 'state', 'brume', 'client'),
    ...(options.inventoryFile ? { inventoryFile: options.inventoryFile } : {}),
  });
