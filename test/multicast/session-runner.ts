/** Starts one multicast session in a Topology: the sender process and N receiver processes. */
import { join } from 'node:path';
import {
  CONTROL_PORT,
  DATA_PORT,
  GROUP,
  makeDisk,
  makeSession,
  type Proc,
  RECEIVER_ENTRY,
  receiverAddr,
  SENDER_ADDR,
  SENDER_ENTRY,
  type SessionSetup,
  secretsJson,
  type TestImage,
  type Topology,
  writeJson,
} from './harness.ts';

export interface SessionRunOptions {
  readonly receivers: number;
  readonly dataMac?: boolean;
  readonly rateCap?: number;
  readonly stallMs?: number;
  readonly maxWaitMs?: number;
  readonly workers?: number;
  readonly senderSilenceMs?: number;
  /** Extra node flags for every process (profiling). */
  readonly nodeArgs?: string[];
  /** Start receivers only; the caller starts the sender with startSender() (the anchor's order). */
  readonly holdSender?: boolean;
  /** Receivers with a ticket that start only on startLate(); they get a unicast fallback (the store). */
  readonly lateReceivers?: number;
  readonly lateJoinUnicastBlocks?: number;
  /** DATA fragment payload bytes (tickets and sender); default: the protocol's. */
  readonly fragmentSize?: number;
}

export interface RunningSession {
  readonly setup: SessionSetup;
  sender: Proc;
  readonly receivers: Proc[];
  readonly disks: string[];
  readonly receiverConfigs: string[];
  /** Starts receiver i again with the same ticket, disk and done-map file (a restart). */
  restart(i: number): Proc;
  /** With holdSender: starts the sender now. */
  startSender(): Proc;
  /** Starts late receiver j (0-based among the late ones); it is receivers[n + j]. */
  startLate(j: number): Proc;
}

export function startSession(topo: Topology, image: TestImage, o: SessionRunOptions): RunningSession {
  const dataMac = o.dataMac ?? false;
  const late = o.lateReceivers ?? 0;
  const setup = makeSession(o.receivers + late, image.blocks.length, dataMac, o.fragmentSize);
  const disks: string[] = [];
  const receiverConfigs: string[] = [];
  for (let i = 1; i <= o.receivers + late; i++) {
    const disk = join(image.dir, `target-${topo.prefix}-r${i}.img`);
    makeDisk(disk, image.diskSize);
    disks.push(disk);
    receiverConfigs.push(
      writeJson(image.dir, `r${i}-${topo.prefix}.json`, {
        ticket: setup.tickets[i - 1],
        blocksFile: image.blocksFile,
        disk,
        interfaceAddress: receiverAddr(i),
        resumeFile: `${disk}.done`,
        workers: o.workers ?? 0,
        ...(o.senderSilenceMs ? { senderSilenceMs: o.senderSilenceMs } : {}),
        ...(i > o.receivers ? { unicastStore: image.store } : {}),
      }),
    );
  }
  const receivers = receiverConfigs
    .slice(0, o.receivers)
    .map((c, i) => topo.spawnNode(`r${i + 1}`, RECEIVER_ENTRY, c, o.nodeArgs));
  const senderConfig = writeJson(image.dir, `s-${topo.prefix}.json`, {
    store: image.store,
    blocksFile: image.blocksFile,
    secrets: secretsJson(setup.secrets),
    group: GROUP,
    dataPort: DATA_PORT,
    interfaceAddress: SENDER_ADDR,
    controlPort: CONTROL_PORT,
    dataMac,
    minReceivers: o.receivers,
    maxWaitMs: o.maxWaitMs ?? 20_000,
    stallMs: o.stallMs ?? 5_000,
    rateCap: o.rateCap ?? 100 * 1024 * 1024,
    ...(o.fragmentSize ? { fragmentSize: o.fragmentSize } : {}),
    ...(o.lateJoinUnicastBlocks !== undefined ? { lateJoinUnicastBlocks: o.lateJoinUnicastBlocks } : {}),
  });
  const run: RunningSession = {
    setup,
    sender: undefined as unknown as Proc,
    receivers,
    disks,
    receiverConfigs,
    restart(i) {
      const p = topo.spawnNode(`r${i + 1}`, RECEIVER_ENTRY, receiverConfigs[i] ?? '');
      receivers[i] = p;
      return p;
    },
    startLate(j) {
      const i = o.receivers + j;
      const p = topo.spawnNode(`r${i + 1}`, RECEIVER_ENTRY, receiverConfigs[i] ?? '', o.nodeArgs);
      receivers[i] = p;
      return p;
    },
    startSender() {
      run.sender = topo.spawnNode('s', SENDER_ENTRY, senderConfig, o.nodeArgs);
      return run.sender;
    },
  };
  if (!o.holdSender) run.startSender();
  return run;
}
