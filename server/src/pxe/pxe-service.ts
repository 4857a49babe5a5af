import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import {
  assertReachableBy,
  interfaceAddress,
  locateBootTools,
  lookupUser,
  prepareTftpRoot,
} from './boot-files.ts';
import { renderDnsmasqConfig } from './dnsmasq-config.ts';
import { type BackoffPolicy, type DnsmasqStatus, DnsmasqSupervisor } from './dnsmasq-supervisor.ts';
import type { PxeConfig } from './pxe-config.ts';

/**
 * Composition root of the boot chain's network half: finds the tools, prepares the TFTP root,
 * writes dnsmasq.conf into the data dir and supervises dnsmasq. A missing tool or address is
 * logged and reported in status(); it never stops the rest of the server.
 */

export interface PxeServiceDeps {
  readonly log: Logger;
  /** Overrides the config's search path for dnsmasq (tests). */
  readonly searchPath?: string;
  /** Prepended to dnsmasq's command line (tests: `ip netns exec <ns>`). */
  readonly commandPrefix?: readonly string[];
  readonly backoff?: Partial<BackoffPolicy>;
}

export type PxeStatus =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      readonly error: { readonly code: string; readonly message: string } | null;
      readonly dnsmasq: DnsmasqStatus | null;
      readonly confPath: string | null;
    };

export interface PxeService {
  status(): PxeStatus;
  stop(): Promise<void>;
}

/** The URL iPXE chains: the configured public URL, else the server address and HTTP port. */
export function bootScriptUrl(config: PxeConfig, serverAddress: string, httpPort: number): string {
  return `${config.boot.publicUrl ?? `http://${serverAddress}:${httpPort}`}/boot.ipxe`;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp`;
  await writeFile(temp, text, { mode: 0o644 });
  await rename(temp, file);
}

export async function startPxeService(config: PxeConfig, deps: PxeServiceDeps): Promise<PxeService> {
  const settings = config.dnsmasq;
  if (settings === null) return { status: () => ({ enabled: false }), stop: async () => {} };
  const log = deps.log.child({ component: 'pxe' });
  try {
    const tools = await locateBootTools(settings, deps.searchPath ?? settings.searchPath);
    const serverAddress = settings.serverAddress ?? interfaceAddress(settings.interface);
    const owner = process.getuid?.() === 0 ? await lookupUser(settings.user) : null;
    await prepareTftpRoot(settings.tftpRoot, tools.bootFiles, owner);
    if (owner !== null) await assertReachableBy(settings.tftpRoot, owner);
    await mkdir(settings.stateDir, { recursive: true, mode: 0o755 });
    const confPath = path.join(settings.stateDir, 'dnsmasq.conf');
    const bootUrl = bootScriptUrl(config, serverAddress, settings.httpPort);
    await writeAtomically(confPath, renderDnsmasqConfig({ settings, serverAddress, bootUrl }));
    const supervisor = new DnsmasqSupervisor({
      dnsmasqPath: tools.dnsmasq,
      confPath,
      log: deps.log,
      ...(deps.commandPrefix ? { commandPrefix: deps.commandPrefix } : {}),
      ...(deps.backoff ? { backoff: deps.backoff } : {}),
    });
    await supervisor.start();
    log.info(
      { interface: settings.interface, mode: settings.mode, serverAddress, bootUrl },
      'PXE boot chain started',
    );
    return {
      status: () => ({ enabled: true, error: null, dnsmasq: supervisor.status(), confPath }),
      stop: () => supervisor.stop(),
    };
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    const code = 'code' in err && typeof err.code === 'string' ? err.code : 'PXE_START_FAILED';
    log.error({ err, code }, `PXE boot chain not started: ${err.message}`);
    const failed: PxeStatus = {
      enabled: true,
      error: { code, message: err.message },
      dnsmasq: null,
      confPath: null,
    };
    return { status: () => failed, stop: async () => {} };
  }
}
