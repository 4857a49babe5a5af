import type { AgentPort, AgentTask, HostStatus } from '../agent-port.ts';
import type { Operator } from '../menu/use-menu-state.ts';
import type { OperatorPort } from '../operator-port.ts';

/** What every menu action screen gets from the client app. */
export interface ActionContext {
  readonly agent: AgentPort;
  readonly operatorPort: OperatorPort;
  /** Logged-in operator (set for rows that require a login). */
  readonly operator: Operator | null;
  readonly status: HostStatus;
  readonly width: number;
  readonly height: number;
  /** Back to the menu with a result line, and the host's new state when it changed. */
  finish(notice: string, status?: HostStatus): void;
  /** Hands over to the transfer screen for a task the server just queued for this host. */
  run(task: AgentTask): void;
}

export const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function hostIdOf(status: HostStatus): string | null {
  return status.kind === 'unregistered' ? null : status.hostId;
}

/**
 * This host's API id for an operator action. A check-in by MAC does not tell it (the data plane
 * never hands ids to an unauthenticated machine), so after the login it is looked up by MAC with
 * the operator's token.
 */
export async function resolveHostId(ctx: ActionContext): Promise<string | null> {
  const known = hostIdOf(ctx.status);
  if (known !== null || ctx.status.kind === 'unregistered' || !ctx.operator) return known;
  return ctx.operatorPort.hostIdByMac(ctx.operator, ctx.agent.mac);
}

/** After queuing a task for this host, asks the server for it (check-in) and runs it. */
export async function checkInAndRun(ctx: ActionContext, what: string): Promise<void> {
  const checkIn = await ctx.agent.checkIn();
  if (checkIn.task) ctx.run(checkIn.task);
  else
    ctx.finish(`${what} queued; the task did not reach this host yet (check-in found none)`, checkIn.status);
}
