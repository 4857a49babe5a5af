/**
 * In-memory AgentPort and OperatorPort for component tests of the client face. The real agent
 * comes with the agent issue; the real operator port is tested against the server.
 */
import type {
  AgentPort,
  AgentTask,
  CheckInResult,
  HostStatus,
  ProgressSink,
  RegistrationRequest,
  TaskOutcome,
} from '../../../tui/src/client/agent-port.ts';
import { RegistrationRefusedError } from '../../../tui/src/client/agent-port.ts';
import type { Operator } from '../../../tui/src/client/menu/use-menu-state.ts';
import {
  type ImageChoice,
  LoginRefusedError,
  type OperatorPort,
} from '../../../tui/src/client/operator-port.ts';

export class MemoryAgent implements AgentPort {
  readonly mac = '52:54:00:12:34:56';
  diskPath = '/dev/null';
  status: HostStatus = { kind: 'unregistered' };
  task: AgentTask | null = null;
  takenNames = new Set<string>();
  registrations: RegistrationRequest[] = [];
  blocks = 20;
  /** Lines the task logs before its blocks (a wait in line, say), each held 150 ms on screen. */
  notices: string[] = [];

  async checkIn(): Promise<CheckInResult> {
    return { status: this.status, task: this.task };
  }
  async register(r: RegistrationRequest): Promise<HostStatus> {
    if (r.name && this.takenNames.has(r.name))
      throw new RegistrationRefusedError('DUPLICATE_HOST_NAME', `host name ${r.name} is taken`);
    this.registrations.push(r);
    this.status = { kind: 'pending', name: r.name ?? 'host-525400123456', hostId: 'h1' };
    return this.status;
  }
  async collectInventory() {
    return {
      systemManufacturer: 'QEMU',
      cpuModel: 'Virtual CPU',
      memoryBytes: 2 * 1024 ** 3,
      nics: [{ name: 'eth0', mac: this.mac }],
    };
  }
  async describeTarget() {
    return {
      path: this.diskPath,
      model: 'QEMU HARDDISK',
      serial: 'QM00001',
      sizeBytes: 64 * 1024 ** 3,
      removable: false,
    };
  }
  async runTask(_task: AgentTask, sink: ProgressSink): Promise<TaskOutcome> {
    const MiB = 1048576;
    for (const notice of this.notices) {
      sink.log?.(notice);
      await new Promise((r) => setTimeout(r, 150));
    }
    for (let i = 1; i <= this.blocks; i++) {
      sink.blocks?.([{ index: i - 1, state: 'written' }]);
      sink.progress({
        blocksDone: i,
        blocksTotal: this.blocks,
        bytesDone: i * MiB,
        bytesTotal: this.blocks * MiB,
        phase: 'writing',
        partition: 1,
      });
      await new Promise((r) => setTimeout(r, 2));
    }
    return { kind: 'complete' };
  }
}

export class MemoryOperatorPort implements OperatorPort {
  calls: string[] = [];
  images: ImageChoice[] = [{ id: 'img1', name: 'win11', osType: 'WINDOWS_11', deployable: true }];
  onDeploy: (() => void) | null = null;
  async login(username: string, password: string): Promise<Operator> {
    if (password !== 'secret')
      throw new LoginRefusedError('INVALID_CREDENTIALS', 'wrong username or password');
    return { username, token: 'tok' };
  }
  async listImages() {
    return this.images;
  }
  async listGroups() {
    return [];
  }
  private ok(call: string) {
    this.calls.push(call);
    return { ok: true as const, message: call };
  }
  /** The memory agent's check-in already names the host: nothing to look up. */
  async hostIdByMac() {
    return null;
  }
  async startDeploy(_o: Operator, hostId: string, imageId: string) {
    this.onDeploy?.();
    return this.ok(`deploy ${hostId} ${imageId}`);
  }
  async joinMulticast(_o: Operator, hostId: string, name: string) {
    return this.ok(`join ${hostId} ${name}`);
  }
  async deleteHost(_o: Operator, hostId: string) {
    return this.ok(`delete ${hostId}`);
  }
  async approveHost(_o: Operator, hostId: string) {
    return this.ok(`approve ${hostId}`);
  }
}
