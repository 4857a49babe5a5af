/**
 * The client agent: check-in by MAC, then the task it was handed (capture, deploy, inventory,
 * wipe), reporting progress and the outcome. Implements the client face's AgentPort.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  AgentPort,
  AgentTask,
  CheckInResult,
  HostStatus,
  InLine,
  InventoryReport,
  ProgressSink,
  RegistrationRequest,
  TargetDisk,
  TaskOutcome,
} from '../client/agent-port.ts';
import { RegistrationRefusedError } from '../client/agent-port.ts';
import { runCapture } from './capture-task.ts';
import { runDeploy } from './deploy-task.ts';
import { collectInventory, type InventoryRoots, inventoryFromFile } from './inventory.ts';
import { runMulticast } from './multicast-task.ts';
import { readTarget } from './preflight.ts';
import { ProgressReporter, TaskEndedError } from './progress-reporter.ts';
import { isTaskEnded, TransferClient, TransferClientError } from './transfer-client.ts';

const SERVER_FAILS = new Set(['STORAGE_FULL', 'IMAGE_PROTECTED']);

import { runWipe, type WipeMode } from './wipe-task.ts';

export interface AgentOptions {
  readonly server: string;
  readonly mac: string;
  readonly diskPath: string;
  /** Where done-maps live (resume after a kill). */
  readonly stateDir: string;
  readonly inventoryFile?: string;
  readonly inventoryRoots?: InventoryRoots;
  readonly verify?: boolean;
  readonly sysfsRoot?: string;
  readonly retryWindowMs?: number;
  readonly workers?: number;
  /** Progress report interval (default 500 ms). */
  readonly reportEveryMs?: number;
  readonly onBlockBytes?: (bytes: number) => void;
}

interface CheckInBody {
  host: { state: 'unregistered' | 'pending' | 'registered'; name?: string };
  task: { id: string; kind: string; state: string; image: string | null; inLine?: InLine } | null;
  token: string | null;
  pollSeconds: number;
}

interface TaskInfo {
  id: string;
  kind: string;
  image: string | null;
  wipeMode: WipeMode | null;
  target: { serial: string | null };
}

export class Agent implements AgentPort {
  readonly mac: string;
  readonly diskPath: string;
  readonly client: TransferClient;
  private readonly options: AgentOptions;
  pollSeconds = 5;

  constructor(options: AgentOptions) {
    this.options = options;
    this.mac = options.mac;
    this.diskPath = options.diskPath;
    this.client = new TransferClient({
      server: options.server,
      mac: options.mac,
      ...(options.retryWindowMs !== undefined ? { retryWindowMs: options.retryWindowMs } : {}),
      ...(options.onBlockBytes ? { onBlockBytes: options.onBlockBytes } : {}),
    });
  }

  async checkIn(): Promise<CheckInResult> {
    const body = await this.client.json<CheckInBody>('/v1/checkin', { json: { mac: this.mac } });
    this.client.token = body.token;
    this.pollSeconds = body.pollSeconds || 5;
    const { host } = body;
    const status: HostStatus =
      host.state === 'unregistered'
        ? { kind: 'unregistered' }
        : { kind: host.state, name: host.name ?? '', hostId: null };
    const task: AgentTask | null = body.task && {
      id: body.task.id,
      kind: body.task.kind,
      imageName: body.task.image,
      ...(body.task.inLine ? { inLine: body.task.inLine } : {}),
    };
    return { status, task };
  }

  /**
   * Waits in line for a unicast slot: checks in every poll until the server hands the task a
   * token (true). False when the task left the line without starting (cancelled, deleted) or
   * `signal` stopped the wait.
   */
  private async waitForSlot(task: AgentTask, sink: ProgressSink, signal: AbortSignal): Promise<boolean> {
    let current: AgentTask | null = task;
    let said = '';
    while (current?.inLine !== undefined && this.client.token === null) {
      const { ahead, busy, slots } = current.inLine;
      const line = `In line for a unicast slot: ${ahead} before this machine, ${busy} of ${slots} slots busy`;
      if (line !== said) sink.log?.(line);
      said = line;
      await sleep(this.pollSeconds * 1000, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return false;
      try {
        current = (await this.checkIn()).task;
      } catch (error) {
        // The server unreachable for its whole retry window: keep the place, ask again.
        sink.log?.(`check-in failed while in line: ${(error as Error).message}`);
      }
    }
    if (this.client.token === null) {
      sink.log?.('the task left the line without starting (cancelled?)');
      return false;
    }
    sink.log?.('a unicast slot is free: starting');
    return true;
  }

  /** `POST /v1/register`: full when a name is given, quick (the server names it) otherwise. */
  async register(request: RegistrationRequest): Promise<HostStatus> {
    const body = {
      mac: this.mac,
      mode: request.name ? 'full' : 'quick',
      ...(request.name ? { name: request.name } : {}),
      imageId: request.imageId ?? null,
      groupIds: [...(request.groupIds ?? [])],
      inventory: request.inventory,
    };
    try {
      const res = await this.client.json<{ host: { name: string } }>('/v1/register', {
        json: body,
        noRetry: true,
      });
      return { kind: 'pending', name: res.host.name, hostId: null };
    } catch (err) {
      if (err instanceof TransferClientError && err.status < 500) {
        throw new RegistrationRefusedError(err.code, err.message);
      }
      throw err;
    }
  }

  collectInventory(): Promise<InventoryReport> {
    if (this.options.inventoryFile) return inventoryFromFile(this.options.inventoryFile);
    return collectInventory(this.options.inventoryRoots);
  }

  async describeTarget(): Promise<TargetDisk> {
    const t = await readTarget(this.diskPath, this.options.sysfsRoot);
    return {
      path: t.path,
      model: t.identity.model ?? null,
      serial: t.identity.serial ?? null,
      sizeBytes: t.size,
      removable: t.identity.removable ?? false,
    };
  }

  async runTask(task: AgentTask, sink: ProgressSink, signal: AbortSignal): Promise<TaskOutcome> {
    if (task.inLine !== undefined && !(await this.waitForSlot(task, sink, signal))) {
      return { kind: 'cancelled' };
    }
    const abort = new AbortController();
    const onAbort = () => abort.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const reporter = new ProgressReporter(this.client, abort, {
      sink,
      ...(this.options.reportEveryMs ? { everyMs: this.options.reportEveryMs } : {}),
    });
    reporter.start();
    try {
      const info = await this.client.json<TaskInfo>('/v1/task', { signal: abort.signal });
      await this.perform(info, reporter, abort.signal, sink);
      return { kind: 'complete' };
    } catch (error) {
      return this.outcomeOf(error, abort.signal, signal);
    } finally {
      reporter.stop();
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async perform(info: TaskInfo, reporter: ProgressReporter, signal: AbortSignal, sink: ProgressSink) {
    const common = {
      client: this.client,
      reporter,
      signal,
      ...(this.options.workers ? { workers: this.options.workers } : {}),
    };
    const finish = async () => {
      await reporter.flush();
      reporter.stop();
      await this.client.request('/v1/task/complete', { json: {}, signal });
    };
    if (info.kind === 'CAPTURE') {
      const r = await runCapture({ ...common, diskPath: this.diskPath, imageName: info.image ?? '' });
      sink.log?.(`captured version ${r.version}: ${r.blocks} blocks, ${r.bytesUploaded} bytes uploaded`);
    } else if (info.kind === 'DEPLOY' || info.kind === 'DEPLOY_WITHOUT_SNAPINS') {
      const stats = await runDeploy({
        ...common,
        taskId: info.id,
        diskPath: this.diskPath,
        pinnedSerial: info.target.serial,
        stateDir: this.options.stateDir,
        verify: this.options.verify ?? false,
        ...(this.options.sysfsRoot ? { sysfsRoot: this.options.sysfsRoot } : {}),
      });
      sink.log?.(
        `deployed: ${stats.blocksWritten} written, ${stats.blocksSkipped} skipped, ${stats.blocksResumed} resumed, ${stats.bytesFetched} bytes fetched`,
      );
      await finish();
    } else if (info.kind === 'MULTICAST') {
      const r = await runMulticast({
        ...common,
        taskId: info.id,
        diskPath: this.diskPath,
        pinnedSerial: info.target.serial,
        stateDir: this.options.stateDir,
        ...(this.options.sysfsRoot ? { sysfsRoot: this.options.sysfsRoot } : {}),
      });
      sink.log?.(
        `multicast: ${r.blocksDone} blocks, ${r.unicastBlocks} by unicast, ${r.badBlocks} rejected by hash`,
      );
      await finish();
    } else if (info.kind === 'INVENTORY') {
      await this.client.request('/v1/inventory', {
        method: 'PUT',
        json: await this.collectInventory(),
        signal,
      });
      await finish();
    } else if (info.wipeMode) {
      await runWipe({
        diskPath: this.diskPath,
        mode: info.wipeMode,
        pinnedSerial: info.target.serial,
        reporter,
        signal,
        start: async (blocksTotal, bytesTotal) => {
          await this.client.request('/v1/task/start', { json: { blocksTotal, bytesTotal }, signal });
        },
        ...(this.options.sysfsRoot ? { sysfsRoot: this.options.sysfsRoot } : {}),
      });
      await finish();
    } else {
      throw new Error(`this client does not run ${info.kind} tasks`);
    }
  }

  /** Maps how the work stopped to an outcome, telling the server about failures it does not know. */
  private async outcomeOf(error: unknown, work: AbortSignal, outer: AbortSignal): Promise<TaskOutcome> {
    const ended =
      work.reason instanceof TaskEndedError
        ? work.reason
        : isTaskEnded(error)
          ? new TaskEndedError(String(error.details.state ?? 'ENDED'), error.details.reason as string)
          : null;
    if (ended)
      return ended.state === 'CANCELLED' ? { kind: 'cancelled' } : { kind: 'failed', reason: ended.message };
    const reason = outer.aborted ? 'stopped on the client' : (error as Error).message || String(error);
    // The server already failed the task for these; telling it again would be a refused call.
    const serverFailed = error instanceof TransferClientError && SERVER_FAILS.has(error.code);
    if (!serverFailed)
      await this.client
        .request('/v1/task/fail', { json: { reason: reason.slice(0, 500) }, noRetry: false })
        .catch(() => undefined);
    return outer.aborted ? { kind: 'cancelled' } : { kind: 'failed', reason };
  }
}

export function defaultStateDir(base: string): string {
  return join(base, 'agent-state');
}
