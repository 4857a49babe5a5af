/**
 * A MULTICAST task: the manifest (digest checked) and pre-flight as for a deploy, then the
 * session ticket over the task token, then the multicast receiver writing onto the target disk.
 * Resume: the done-map beside the deploy's (a restarted client rejoins with it). Blocks past the
 * late-join bound come by unicast from the data plane. Every verified block is reported through
 * the progress path, so taskProgress and multicastProgress both see it.
 */
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createCodec,
  gptMoves,
  type Manifest,
  type OpenedDisk,
  openDisk,
  prepareTables,
  requiredTargetSize,
  writeTables,
} from '@brume/server/imaging';
import { engineBlockSink, engineResumeStore } from '@brume/server/multicast/receiver/engine-sink.ts';
import type { BlockSink, ResumeStore } from '@brume/server/multicast/receiver/ports.ts';
import { MulticastReceiver, type ReceiverReport } from '@brume/server/multicast/receiver/receiver.ts';
import { sessionBlocks } from '@brume/server/multicast/sender/engine-source.ts';
import { parseTicket, type SessionTicket } from '@brume/server/multicast/wire/session-ticket.ts';
import { type DeployTaskOptions, fetchManifest } from './deploy-task.ts';
import { assertTarget } from './preflight.ts';
import type { ProgressReporter } from './progress-reporter.ts';
import type { TransferClient } from './transfer-client.ts';

/** A deploy's options less what the session decides (read-back verify, blocks in flight). */
export type MulticastTaskOptions = Omit<DeployTaskOptions, 'verify' | 'queueDepth'>;

/** The receiver stopped without every block: the task fails with the receiver's reason. */
export class MulticastReceiveError extends Error {
  readonly code = 'MULTICAST_RECEIVE_FAILED';
}

/** The local address the kernel routes to the sender from: the group is joined on that interface. */
export function localAddressToward(address: string, port: number): Promise<string> {
  const socket = createSocket('udp4');
  return new Promise<string>((resolve, reject) => {
    socket.once('error', reject);
    // connect() on UDP sends nothing: it only picks the route and the source address.
    socket.connect(port, address, () => resolve(socket.address().address));
  }).finally(() => socket.close());
}

function reportingSink(sink: BlockSink, reporter: ProgressReporter): BlockSink {
  return {
    ...sink,
    async verifyAndWrite(index, stored) {
      const result = await sink.verifyAndWrite(index, stored);
      reporter.block(index, result === 'ok' ? 'written' : 'failed', sink.length(index));
      return result;
    },
  };
}

/** Blocks a previous run already wrote (done-map) count as done from the start. */
function reportingResume(resume: ResumeStore, reporter: ProgressReporter, length: (i: number) => number) {
  return {
    async load() {
      const bits = await resume.load();
      for (let i = 0; bits && i < bits.length * 8; i++)
        if (((bits[i >> 3] ?? 0) >> (i & 7)) & 1) reporter.block(i, 'skipped', length(i));
      return bits;
    },
    save: (done: Uint8Array) => resume.save(done),
  } satisfies ResumeStore;
}

/**
 * The session sends the table areas where the source disk had them. On a larger target the GPT
 * backup belongs at the target's end (as a unicast deploy puts it): write the relocated tables and
 * clear the stale backup copy the session left mid-disk, so no tool finds two disagreeing GPTs.
 */
async function relocateGpt(o: MulticastTaskOptions, manifest: Manifest, disk: OpenedDisk): Promise<void> {
  if (!gptMoves(manifest, disk.size)) return;
  const source = { getCompressed: (hash: string) => o.client.getBlock(hash, o.signal) };
  const tables = await prepareTables(source, manifest, disk.size);
  const kept = new Set(tables.pieces.map((p) => p.offset));
  for (const ref of manifest.preserved)
    if (!kept.has(ref.offset)) await disk.writeAt(new Uint8Array(ref.length), ref.offset);
  await writeTables(disk, tables);
}

async function fetchTicket(client: TransferClient, signal: AbortSignal): Promise<SessionTicket> {
  const body = await client.json<{ ticket: unknown }>('/multicast/ticket', { signal });
  return parseTicket(body.ticket);
}

export async function runMulticast(o: MulticastTaskOptions): Promise<ReceiverReport> {
  const manifest = await fetchManifest(o.client, o.signal);
  await assertTarget(
    o.diskPath,
    { requiredBytes: requiredTargetSize(manifest), pinnedSerial: o.pinnedSerial },
    o.sysfsRoot,
  );
  const ticket = await fetchTicket(o.client, o.signal);
  const blocks = sessionBlocks(manifest);
  if (ticket.blockCount !== blocks.length)
    throw new MulticastReceiveError(
      `the session sends ${ticket.blockCount} blocks, the manifest has ${blocks.length}`,
    );
  const bytesTotal = blocks.reduce((n, b) => n + b.length, 0);
  o.reporter.totals(blocks.length, bytesTotal);
  await o.client.request('/v1/task/start', {
    json: { blocksTotal: blocks.length, bytesTotal },
    signal: o.signal,
  });
  o.reporter.phase('multicast');
  await mkdir(o.stateDir, { recursive: true, mode: 0o700 });
  const digest = createHash('sha256').update(JSON.stringify(blocks)).digest('hex');
  const disk = await openDisk(o.diskPath, { write: true });
  const codec = createCodec(o.workers ?? 1);
  try {
    const sink = reportingSink(engineBlockSink(blocks, disk, codec), o.reporter);
    const resume = engineResumeStore(join(o.stateDir, `${o.taskId}.mcdone`), digest, blocks.length);
    const receiver = new MulticastReceiver({
      ticket,
      interfaceAddress: await localAddressToward(ticket.senderAddress, ticket.controlPort),
      sink,
      resume: reportingResume(resume, o.reporter, (i) => blocks[i]?.length ?? 0),
      fetchBlock: (i) => o.client.getBlock(blocks[i]?.hash ?? '', o.signal),
    });
    const onAbort = () => receiver.fail('stopped: the task ended or the client was stopped');
    o.signal.addEventListener('abort', onAbort, { once: true });
    const report = await receiver.run().finally(() => o.signal.removeEventListener('abort', onAbort));
    if (o.signal.aborted) throw o.signal.reason ?? new Error('aborted');
    if (report.phase !== 'complete')
      throw new MulticastReceiveError(report.failReason ?? 'multicast receive failed');
    await relocateGpt(o, manifest, disk);
    await disk.sync();
    return report;
  } finally {
    await codec.close();
    await disk.close();
  }
}
