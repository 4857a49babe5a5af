/**
 * Sender process: `node --import tsx multicast-sender-process.ts CONFIG.json`. Prints JSON lines
 * (progress twice a second, then the report); exits 0 when the session completed, 1 otherwise.
 */
import { openLocalStore } from '../imaging/index.ts';
import { engineBlockSource } from './sender/engine-source.ts';
import { MulticastSender } from './sender/sender.ts';
import { readBlocks, readConfig, senderProcessSchema } from './wire/process-config.ts';

async function main(): Promise<number> {
  const c = await readConfig(senderProcessSchema, process.argv[2]);
  const { blocks } = await readBlocks(c.blocksFile);
  const store = openLocalStore(c.store);
  let lastPrint = 0;
  const sender = new MulticastSender({
    ...c,
    secrets: {
      sessionId: BigInt(`0x${c.secrets.sessionId}`),
      groupKey: Buffer.from(c.secrets.groupKey, 'hex'),
      masterKey: Buffer.from(c.secrets.masterKey, 'hex'),
    },
    source: engineBlockSource(blocks, store.chunks),
    progress: (s) => {
      const now = Date.now();
      if (now - lastPrint < 500) return;
      lastPrint = now;
      process.stdout.write(`${JSON.stringify({ event: 'progress', ...s })}\n`);
    },
  });
  const stop = () => sender.abort('sender process interrupted');
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const report = await sender.run();
  process.stdout.write(`${JSON.stringify({ event: 'report', ...report, cpu: process.cpuUsage() })}\n`);
  return report.phase === 'complete' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`multicast sender: ${error.message}\n`);
    process.exit(2);
  },
);
