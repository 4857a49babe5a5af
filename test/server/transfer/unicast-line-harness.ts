/**
 * Machines with deploys queued against one image, checking in as the client does: shared by the
 * unicast slot tests (the line as FOG serves it, and the operator's moves in it).
 */
import {
  cancelTask,
  checkIn,
  createHost,
  type QueuedTask,
  startDeploy,
  type TransferApp,
  taskState,
} from './transfer-harness.ts';

export interface Machine {
  readonly host: { id: string; mac: string };
  readonly task: QueuedTask;
}

export type CheckIn = Awaited<ReturnType<typeof checkIn>> & {
  task: { id: string; state: string; inLine?: { ahead: number; busy: number; slots: number } } | null;
};

export function unicastLine(a: TransferApp, imageId: string) {
  return {
    /** `n` hosts, each with a deploy queued, in order. */
    async deploys(n: number): Promise<Machine[]> {
      const out: Machine[] = [];
      for (let i = 0; i < n; i++) {
        const host = await createHost(a);
        out.push({ host, task: await startDeploy(a, host.id, imageId) });
      }
      return out;
    },
    checkInAs: async (m: Machine) => (await checkIn(a, m.host.mac)) as CheckIn,
    /** Ends every running or queued deploy, so each test starts with all slots free. */
    async endAll(machines: readonly Machine[]) {
      for (const m of machines) {
        const t = await taskState(a, m.task.rawId);
        if (t && ['QUEUED', 'CHECKED_IN', 'IN_PROGRESS'].includes(t.state)) await cancelTask(a, m.task.id);
      }
    },
  };
}
