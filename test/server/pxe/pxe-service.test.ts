import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPxeConfig } from '../../../server/src/pxe/pxe-config.ts';
import { startPxeService } from '../../../server/src/pxe/pxe-service.ts';

/**
 * Starting the boot chain when something it needs is missing: the error is typed and reported in
 * status(), and startPxeService never throws (the rest of the server keeps running). These cases
 * fail before dnsmasq would touch any network.
 */

const work = mkdtempSync(path.join(os.tmpdir(), 'brpxe-svc-'));
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const logs: Array<{ msg: string; code?: string }> = [];
const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });

function config(dataDir: string, env: Record<string, string> = {}) {
  return loadPxeConfig({
    BRUME_DATA_DIR: dataDir,
    BRUME_PXE_INTERFACE: 'eth9',
    BRUME_PXE_NEXT_SERVER: '10.99.0.1',
    ...env,
  });
}

describe('startPxeService when something is missing', () => {
  it('Given PXE not configured, then status says disabled and nothing is written', async () => {
    const service = await startPxeService(loadPxeConfig({ BRUME_DATA_DIR: path.join(work, 'off') }), {
      log,
      searchPath: '',
    });
    expect(service.status()).toEqual({ enabled: false });
    await service.stop();
  });

  it('Given neither dnsmasq nor the iPXE binaries, then one typed error naming both and the apt-get line', async () => {
    const service = await startPxeService(
      config(path.join(work, 'a'), {
        BRUME_PXE_DNSMASQ: '/nonexistent/sbin/dnsmasq',
        BRUME_PXE_IPXE_DIR: '/nonexistent/ipxe',
      }),
      { log, searchPath: '/nonexistent' },
    );
    const status = service.status();
    expect(status).toMatchObject({ enabled: true, dnsmasq: null, error: { code: 'PXE_TOOL_MISSING' } });
    const message = status.enabled ? (status.error?.message ?? '') : '';
    expect(message).toContain('/nonexistent/sbin/dnsmasq');
    expect(message).toContain('/nonexistent/ipxe/undionly.kpxe');
    expect(message).toContain('/nonexistent/ipxe/ipxe.efi');
    expect(message).toContain('apt-get install dnsmasq ipxe');
    expect(logs.some((l) => l.code === 'PXE_TOOL_MISSING')).toBe(true);
    await service.stop();
  });

  it('Given no next-server and an interface without an address, then PXE_NO_INTERFACE_ADDRESS', async () => {
    const env = { BRUME_DATA_DIR: path.join(work, 'b'), BRUME_PXE_INTERFACE: 'brpxe-none0' };
    const service = await startPxeService(loadPxeConfig(env), { log, searchPath: '/usr/sbin:/usr/bin' });
    expect(service.status()).toMatchObject({ enabled: true, error: { code: 'PXE_NO_INTERFACE_ADDRESS' } });
  });

  it.runIf(process.getuid?.() === 0)(
    'Given a data dir the dnsmasq user cannot enter (root only), then PXE_TFTP_ROOT naming that directory',
    async () => {
      const closed = path.join(work, 'closed');
      mkdirSync(closed, { mode: 0o700 });
      chmodSync(closed, 0o700);
      const service = await startPxeService(config(closed), { log, searchPath: '/usr/sbin:/usr/bin' });
      const status = service.status();
      expect(status).toMatchObject({ enabled: true, dnsmasq: null, error: { code: 'PXE_TFTP_ROOT' } });
      expect(status.enabled && status.error?.message).toContain(`cannot enter ${closed}`);
    },
  );
});
