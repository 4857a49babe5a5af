/**
 * The seam between the client face (boot menu, transfer screen) and the client agent
 * (`tui/src/agent/`, check-in, task token, capture/deploy/wipe/inventory). The menu only talks to
 * the agent through this interface, so the agent plugs in without the menu knowing how it works.
 * Everything here is what a machine can do about itself without an operator login.
 */

import type { InventoryReport } from '@brume/server/hosts/host-inventory-service.ts';
import type { BlockState } from '../block-map/use-block-map-state.ts';
import type { ProgressCounters } from '../transfer/use-transfer-state.ts';

/** FOG's inventory fields, exactly as the server stores them (one definition, the server's). */
export type { InventoryReport };

/** What the server knows about this machine, from a check-in by MAC. */
export type HostStatus =
  | { readonly kind: 'unregistered' }
  | { readonly kind: 'pending'; readonly name: string; readonly hostId: string | null }
  | { readonly kind: 'registered'; readonly name: string; readonly hostId: string | null };

/** A task the server handed to this machine (FOG: the host boots straight into it). */
export interface AgentTask {
  readonly id: string;
  /** FOG's task kind in the API's spelling: `DEPLOY`, `CAPTURE`, `MULTICAST`, `INVENTORY`, `FAST_WIPE`... */
  readonly kind: string;
  readonly imageName?: string | null;
  /**
   * Set when every unicast slot of the server is taken (FOG's "In line for …"): the task waits,
   * and running it first waits for a slot.
   */
  readonly inLine?: InLine;
}

/** Where a task waiting for a unicast slot stands. */
export interface InLine {
  /** Waiting tasks queued before it. */
  readonly ahead: number;
  readonly busy: number;
  readonly slots: number;
}

export interface CheckInResult {
  readonly status: HostStatus;
  /** The pending task, if any: the menu is skipped and the task runs. */
  readonly task: AgentTask | null;
}

/** The target disk as the deploy confirmation shows it. */
export interface TargetDisk {
  readonly path: string;
  readonly model: string | null;
  readonly serial: string | null;
  readonly sizeBytes: number;
  readonly removable: boolean;
}

/** Where a running task reports; the agent never prints. */
export interface ProgressSink {
  /** Cumulative counters (the same shape as the `taskProgress` subscription). */
  progress(counters: ProgressCounters): void;
  /** Per-block changes, when the agent knows them (drives the block map exactly). */
  blocks?(updates: readonly { index: number; state: BlockState }[]): void;
  /** A human-readable line (retries, waiting in line, the outcome). */
  log?(message: string): void;
  /**
   * A phase began. The counters carry it too, so a screen shows it there; without this method
   * the phase is logged as a line (the headless client's stderr).
   */
  phase?(name: string): void;
}

export type TaskOutcome =
  | { readonly kind: 'complete' }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'cancelled' };

export interface RegistrationRequest {
  /** Full registration: the chosen name (checked for uniqueness by the server); quick: left out. */
  readonly name?: string;
  readonly imageId?: string | null;
  readonly groupIds?: readonly string[];
  readonly inventory: InventoryReport;
}

/** Typed refusal from registration (duplicate name, bad name...), shown to the user as is. */
export class RegistrationRefusedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'RegistrationRefusedError';
    this.code = code;
  }
}

/** The client agent, as the client face uses it. */
export interface AgentPort {
  readonly mac: string;
  readonly diskPath: string;
  /** Asks the server who this MAC is and whether a task waits for it. */
  checkIn(): Promise<CheckInResult>;
  /** Boot-menu registration (no login): the host is created pending, as FOG does, with its inventory. */
  register(request: RegistrationRequest): Promise<HostStatus>;
  /** This machine's hardware (DMI, CPU, memory, disks, NICs), or the JSON override in tests. */
  collectInventory(): Promise<InventoryReport>;
  /** The disk a deploy would overwrite. */
  describeTarget(): Promise<TargetDisk>;
  /** Runs a task to its end, reporting into `sink`; `signal` cancels it. */
  runTask(task: AgentTask, sink: ProgressSink, signal: AbortSignal): Promise<TaskOutcome>;
}

/** How the client face creates the agent. */
export interface AgentPortOptions {
  /** Server base URL, e.g. `http://10.0.0.1:8080`. */
  readonly server: string;
  /** This machine's MAC (the one it checks in with). */
  readonly mac: string;
  /** The target disk: a block device, or a raw image file in tests. */
  readonly diskPath: string;
  /** JSON inventory replacing the one read from `/sys` and `/proc` (tests). */
  readonly inventoryFile?: string;
}

/**
 * The agent's entry point for the client face: `tui/src/agent/index.ts` exports
 * `createAgentPort: CreateAgentPort`. Until it exists, `load-agent.ts` gives a stand-in that says so.
 */
export type CreateAgentPort = (options: AgentPortOptions) => AgentPort | Promise<AgentPort>;

/** Raised by the stand-in agent: the agent is not part of this build yet. */
export class AgentUnavailableError extends Error {
  readonly code = 'AGENT_UNAVAILABLE';
  constructor(what: string) {
    super(`${what}: the client agent (tui/src/agent) is not available in this build`);
    this.name = 'AgentUnavailableError';
  }
}
