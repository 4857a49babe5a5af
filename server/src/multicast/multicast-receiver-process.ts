/**
 * Receiver process: `node --import tsx multicast-receiver-process.ts CONFIG.json`. Writes the
 * blocks to the target disk (file or device), resumes from its done-map file, prints JSON lines;
 * exits 0 when complete, 1 when failed (loudly, with the reason), 2 on bad usage.
 */
import { createCodec, openDisk, openLocalStore } from '../imaging/index.ts';
import { engineBlockSink, engineResumeStore } from './receiver/engine-sink.ts';
import { MulticastReceiver } from './receiver/receiver.ts';
import { readBlocks, readConfig, receiverProcessSchema } from './wire/process-config.ts';

/** Context switches of the whole run: how often the process was woken (or preempted). */
function contextSwitches() {
  const r = process.resourceUsage();
  return { voluntaryCtx: r.voluntaryContextSwitches, involuntaryCtx: r.involuntaryContextSwitches };
}

async function main(): Promise<number> {
  const c = await readConfig(receiverProcessSchema, process.argv[2]);
  const { blocks, digest } = await readBlocks(c.blocksFile);
  const disk = await openDisk(c.disk, { write: true });
  const codec = createCodec(c.workers);
  const unicast = c.unicastStore ? openLocalStore(c.unicastStore).chunks : null;
  let lastPrint = 0;
  const receiver = new MulticastReceiver({
    ticket: c.ticket,
    interfaceAddress: c.interfaceAddress,
    sink: engineBlockSink(blocks, disk, codec),
    resume: engineResumeStore(c.resumeFile, digest, blocks.length),
    ...(unicast ? { fetchBlock: (i: number) => unicast.getCompressed(blocks[i]?.hash ?? '') } : {}),
    ...(c.senderSilenceMs ? { senderSilenceMs: c.senderSilenceMs } : {}),
    progress: (s) => {
      const now = Date.now();
      if (now - lastPrint < 500) return;
      lastPrint = now;
      process.stdout.write(`${JSON.stringify({ event: 'progress', ...s })}\n`);
    },
  });
  const stop = () => receiver.fail('receiver process interrupted');
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const report = await receiver.run();
  await codec.close();
  await disk.close();
  process.stdout.write(
    `${JSON.stringify({ event: 'report', ...report, cpu: process.cpuUsage(), ...contextSwitches() })}\n`,
  );
  return report.phase === 'complete' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`multicast receiver: ${error.message}\n`);
    process.exit(2);
  },
);
