/**
 * A forger for the tests: from its own namespace, sends DATA datagrams that name the session and
 * have the manifest's block shapes but carry wrong bytes (optionally with a wrong MAC), plus random
 * garbage, to the group and port. Usage: node --import tsx forger-process.ts CONFIG.json
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { encodeData } from '../../server/src/multicast/wire/encode.ts';

interface ForgerConfig {
  group: string;
  dataPort: number;
  interfaceAddress: string;
  sessionId: string;
  storedSizes: number[];
  fragmentSize: number;
  durationMs: number;
  perTick: number;
  withMac: boolean;
}

const c = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as ForgerConfig;
const sessionId = BigInt(`0x${c.sessionId}`);
const s = createSocket('udp4');
let sent = 0;
s.bind({ address: c.interfaceAddress, port: 0 }, () => {
  s.setMulticastTTL(1);
  s.setMulticastInterface(c.interfaceAddress);
  const start = Date.now();
  const end = start + c.durationMs;
  const timer = setInterval(() => {
    const now = Date.now();
    if (now > end) {
      clearInterval(timer);
      process.stdout.write(`${JSON.stringify({ event: 'report', sent })}\n`);
      s.close();
      return;
    }
    // perTick per 5 ms of elapsed time, not per timer call: on a loaded machine the timer fires
    // late and the forger would send a fraction of what the test expects (catch up, bounded).
    const due = Math.floor((now - start) / 5 + 1) * c.perTick;
    for (let k = 0; k < Math.min(due - sent, 10 * c.perTick); k++) {
      const blockIndex = randomInt(c.storedSizes.length);
      const size = c.storedSizes[blockIndex] ?? 1;
      const fragCount = Math.ceil(size / c.fragmentSize);
      const fragIndex = randomInt(fragCount);
      const len = fragIndex === fragCount - 1 ? size - fragIndex * c.fragmentSize : c.fragmentSize;
      const fields = {
        seq: randomInt(2 ** 31),
        blockIndex,
        storedLength: size,
        fragIndex,
        fragCount,
        kind: 0,
      };
      const parts = encodeData(sessionId, fields, randomBytes(len), c.withMac ? randomBytes(32) : null);
      s.send(parts, c.dataPort, c.group);
      if (k % 10 === 0) s.send(randomBytes(randomInt(1, 1472)), c.dataPort, c.group);
      sent++;
    }
  }, 5);
});
