/** What a session's sender process is told: its slot, keys, image and the session's settings. */
import { join } from 'node:path';
import type { Config } from '../../config/config.ts';
import type { MulticastSessionRow } from '../multicast-table.ts';
import type { SenderProcessConfig } from '../wire/process-config.ts';
import type { SessionSecrets } from '../wire/session-ticket.ts';
import type { SessionSlot } from './session-slots.ts';

const DEFAULT_RATE = 110 * 1024 * 1024;

export interface SenderRun {
  readonly session: MulticastSessionRow;
  readonly secrets: SessionSecrets;
  readonly slot: SessionSlot;
  /** The run's private directory: blocks.json is written there. */
  readonly dir: string;
}

/**
 * The sender waits what is left of `maxWaitSeconds` counted from the session's creation (at
 * least 1 s, so a late first receiver still gets its JOIN in); the rate cap is the lower of the
 * session's and the server's.
 */
export function senderConfig(run: SenderRun, config: Config, now: Date): SenderProcessConfig {
  const { session, secrets, slot } = run;
  const mc = config.multicast;
  const waitLeft = session.createdAt.getTime() + session.maxWaitSeconds * 1000 - now.getTime();
  const caps = [session.rateLimitBytesPerSecond, mc.maxRate].filter((c): c is number => c != null);
  return {
    store: config.core.imagesDir,
    blocksFile: join(run.dir, 'blocks.json'),
    secrets: {
      sessionId: secrets.sessionId.toString(16).padStart(16, '0'),
      groupKey: secrets.groupKey.toString('hex'),
      masterKey: secrets.masterKey.toString('hex'),
    },
    group: slot.group,
    dataPort: slot.dataPort,
    interfaceAddress: mc.interfaceAddress,
    controlPort: slot.controlPort,
    dataMac: mc.dataMac,
    minReceivers: session.minReceivers,
    maxWaitMs: Math.max(1000, waitLeft),
    stallMs: mc.stallMs,
    rateCap: caps.length > 0 ? Math.min(...caps) : DEFAULT_RATE,
    loopback: mc.interfaceAddress.startsWith('127.'),
    ttl: mc.ttl,
  };
}
