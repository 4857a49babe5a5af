import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPxeConfig } from '../../../server/src/pxe/pxe-config.ts';
import { type PxeService, startPxeService } from '../../../server/src/pxe/pxe-service.ts';
import { netnsAvailability, nsRun, topologyDown, topologyUp, uniquePrefix } from './netns.ts';

/**
 * The boot chain on a real network: a hub namespace with a bridge, the server namespace (10.99.0.1),
 * a "site" namespace for a plain DHCP server (10.99.0.2) and two clients. dnsmasq is the real one,
 * started by our supervisor inside the server namespace; the clients are busybox udhcpc, tftp-hpa
 * and a small PXE DHCP probe. Nothing touches the host network.
 */

const availability = netnsAvailability();
if (!availability.ok) {
  console.warn(
    `\n!!!!! PXE NETWORK TESTS SKIPPED: network namespaces are impossible here: ${availability.reason} !!!!!\n`,
  );
}

const PROBE = fileURLToPath(new URL('./dhcp-probe.ts', import.meta.url));
const SERVER = '10.99.0.1';
const BOOT_URL = `http://${SERVER}:8080/boot.ipxe`;
const prefix = uniquePrefix();
const ns = (leaf: string) => `${prefix}-${leaf}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'brpxe-net-'));
// dnsmasq drops to its own user before it opens the TFTP root inside this directory.
chmodSync(work, 0o755);
const logs: Array<{ component?: string; msg: string; level: number }> = [];
const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
const running: PxeService[] = [];
const children: ChildProcess[] = [];

interface Offer {
  messageType: number;
  yiaddr: string;
  siaddr: string;
  file: string;
  serverId: string | null;
  vendorClass: string | null;
}

async function startPxe(name: string, env: Record<string, string>, backoff = {}): Promise<PxeService> {
  const config = loadPxeConfig({
    BRUME_DATA_DIR: path.join(work, name),
    BRUME_PXE_INTERFACE: 'eth0',
    BRUME_PXE_NEXT_SERVER: SERVER,
    PORT: '8080',
    ...env,
  });
  const service = await startPxeService(config, {
    log,
    searchPath: '/usr/sbin:/usr/bin:/sbin:/bin',
    commandPrefix: ['ip', 'netns', 'exec', ns('srv')],
    backoff,
  });
  running.push(service);
  return service;
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}; last logs: ${JSON.stringify(logs.slice(-6))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const dnsmasqSaid = (text: string) => () =>
  logs.some((l) => l.component === 'dnsmasq' && l.msg.includes(text));

/** busybox udhcpc as a PXE ROM (or iPXE) would ask; returns the variables of its "bound" event. */
async function udhcpc(leaf: string, extra: readonly string[]): Promise<Record<string, string>> {
  const script = path.join(work, 'udhcpc-dump.sh');
  writeFileSync(
    script,
    '#!/bin/sh\n[ "$1" = bound ] && env | grep -E "^(ip|siaddr|boot_file|serverid|router|subnet)="\nexit 0\n',
    {
      mode: 0o755,
    },
  );
  const result = await nsRun(ns(leaf), [
    'busybox',
    'udhcpc',
    '-f',
    '-q',
    '-n',
    '-i',
    'eth0',
    '-t',
    '10',
    '-T',
    '1',
    '-s',
    script,
    ...extra,
  ]);
  expect(result.code, result.stderr).toBe(0);
  return Object.fromEntries(
    result.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('=', 2) as [string, string]),
  );
}

async function probe(
  leaf: string,
  arch: number,
  ipxe: boolean,
  waitMs = 6000,
  bootServer?: string,
): Promise<Offer[]> {
  const argv = [
    process.execPath,
    '--import',
    'tsx',
    PROBE,
    'eth0',
    String(arch),
    ipxe ? '1' : '0',
    String(waitMs),
  ];
  if (bootServer !== undefined) argv.push(bootServer);
  const result = await nsRun(ns(leaf), argv, { cwd: process.cwd(), timeoutMs: waitMs + 15_000 });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Offer[];
}

async function tftpGet(remote: string): Promise<{ output: string; local: string | null }> {
  const local = path.join(work, `tftp-${Math.random().toString(36).slice(2)}`);
  const r = await nsRun(ns('c2'), ['tftp', '-m', 'binary', SERVER, '-c', 'get', remote, local]);
  const content = existsSync(local) ? readFileSync(local, 'latin1') : null;
  return { output: `${r.stdout}${r.stderr}`, local: content === null || content === '' ? null : content };
}

describe.skipIf(!availability.ok)('PXE boot chain in network namespaces (root)', () => {
  beforeAll(() => {
    topologyUp(prefix, { srv: `${SERVER}/24`, site: '10.99.0.2/24', c1: '-', c2: '10.99.0.60/24' });
  });

  afterAll(async () => {
    for (const service of running) await service.stop();
    for (const child of children) child.kill('SIGKILL');
    topologyDown(prefix);
    rmSync(work, { recursive: true, force: true });
  });

  describe('dhcp mode (the reference lab)', () => {
    let service: PxeService;
    beforeAll(async () => {
      service = await startPxe('dhcp', {
        BRUME_PXE_MODE: 'dhcp',
        BRUME_PXE_RANGE_START: '10.99.0.100',
        BRUME_PXE_RANGE_END: '10.99.0.150',
        BRUME_PXE_ROUTER: SERVER,
      });
      await until('dnsmasq bound to eth0', dnsmasqSaid('sockets bound exclusively to interface eth0'));
    });

    it('Given a BIOS PXE client, when udhcpc asks, then an address from the range, next-server and undionly.kpxe', async () => {
      expect(service.status()).toMatchObject({
        enabled: true,
        error: null,
        dnsmasq: { state: 'running', restarts: 0 },
      });
      const lease = await udhcpc('c1', ['-V', 'PXEClient:Arch:00000:UNDI:002001', '-x', '0x5d:0000']);
      const last = Number(lease.ip?.split('.')[3]);
      expect(lease.ip).toMatch(/^10\.99\.0\.\d+$/);
      expect(last).toBeGreaterThanOrEqual(100);
      expect(last).toBeLessThanOrEqual(150);
      expect(lease).toMatchObject({
        siaddr: SERVER,
        boot_file: 'undionly.kpxe',
        router: SERVER,
        serverid: SERVER,
      });
      const leases = readFileSync(path.join(work, 'dhcp', 'pxe', 'dnsmasq.leases'), 'utf8');
      expect(leases).toContain(lease.ip);
    });

    it('Given a UEFI x64 client (option 93 = 7), then ipxe.efi; given iPXE itself (user class), then the boot.ipxe URL', async () => {
      const efi = await udhcpc('c1', ['-V', 'PXEClient:Arch:00007:UNDI:003016', '-x', '0x5d:0007']);
      expect(efi.boot_file).toBe('ipxe.efi');
      const ipxe = await udhcpc('c1', [
        '-V',
        'PXEClient:Arch:00007:UNDI:003016',
        '-x',
        '0x5d:0007',
        '-x',
        '0x4d:69505845',
      ]);
      expect(ipxe.boot_file).toBe(BOOT_URL);
      await until('the DHCPACK in our log', dnsmasqSaid('DHCPACK(eth0)'));
    });

    it('Given tftp-hpa, then the boot file arrives byte for byte', async () => {
      const got = await tftpGet('undionly.kpxe');
      expect(got.local).toBe(readFileSync('/usr/lib/ipxe/undionly.kpxe', 'latin1'));
    });

    it('Given requests outside the TFTP root, a planted symlink and a write, then all refused and nothing leaks', async () => {
      const root = path.join(work, 'dhcp', 'pxe', 'tftp');
      symlinkSync('/etc/passwd', path.join(root, 'passwd-link'));
      for (const remote of [
        '../../etc/passwd',
        '/etc/passwd',
        '../dnsmasq.conf',
        'passwd-link',
        '../../../../../../etc/shadow',
      ]) {
        const got = await tftpGet(remote);
        expect(got.output, remote).toMatch(/Error code/);
        expect(got.local, remote).toBeNull();
      }
      const upload = path.join(work, 'upload.txt');
      writeFileSync(upload, 'should never land\n');
      const put = await nsRun(ns('c2'), ['tftp', '-m', 'binary', SERVER, '-c', 'put', upload, 'upload.txt']);
      expect(`${put.stdout}${put.stderr}`).toMatch(/Error code/);
      expect(readdirSync(root).sort()).toEqual(['ipxe.efi', 'passwd-link', 'undionly.kpxe']);
    });

    it('Given malformed DHCP and TFTP datagrams (truncated, oversized, random), then dnsmasq keeps running and serving', async () => {
      const before = service.status();
      const pid = before.enabled ? before.dnsmasq?.pid : null;
      // Plain JS for `node -e`: a BOOTREQUEST cut short, one with an option running past the end,
      // a 60 KB datagram, random bytes, and TFTP opcodes that make no sense (ACK for block 65535).
      const js = `
        const dgram = require('node:dgram'); const crypto = require('node:crypto');
        const s = dgram.createSocket('udp4'); s.bind(() => { s.setBroadcast(true);
        const boot = Buffer.alloc(240); boot[0] = 1; boot[1] = 1; boot[2] = 6; boot.writeUInt32BE(0x63825363, 236);
        const runOver = Buffer.concat([boot, Buffer.from([53, 1, 1, 60, 200, 65, 66])]);
        const msgs = [[boot.subarray(0, 100), 67], [runOver, 67], [Buffer.alloc(60000, 0x41), 67], [crypto.randomBytes(512), 67],
          [Buffer.from([0, 4, 255, 255]), 69], [Buffer.from([0, 1, 0x2e, 0x2e]), 69], [crypto.randomBytes(1400), 69], [Buffer.alloc(60000, 0), 69]];
        let n = 0; for (let r = 0; r < 20; r++) for (const [m, port] of msgs) s.send(m, port, '${SERVER}', () => { if (++n === 160) s.close(); }); });`;
      const sent = await nsRun(ns('c2'), [process.execPath, '-e', js]);
      expect(sent.code, sent.stderr).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
      expect(service.status()).toMatchObject({ dnsmasq: { state: 'running', pid, restarts: 0 } });
      const got = await tftpGet('undionly.kpxe');
      expect(got.local).toBe(readFileSync('/usr/lib/ipxe/undionly.kpxe', 'latin1'));
    });

    it('Given dnsmasq killed, then the supervisor restarts it and the status counts the restart', async () => {
      const before = service.status();
      if (!before.enabled || before.dnsmasq === null) throw new Error('not running');
      process.kill(before.dnsmasq.pid as number, 'SIGKILL');
      const after = await until('a restart', () => {
        const s = service.status();
        return s.enabled && s.dnsmasq?.state === 'running' && s.dnsmasq.restarts === 1 ? s : undefined;
      });
      expect(after.enabled && after.dnsmasq?.pid).not.toBe(before.dnsmasq.pid);
      expect(logs.some((l) => l.msg.includes('dnsmasq ended (signal SIGKILL); restarting'))).toBe(true);
      await service.stop();
      expect(service.status()).toMatchObject({ dnsmasq: { state: 'stopped', pid: null } });
    });
  });

  describe('proxy mode beside a site DHCP server', () => {
    beforeAll(async () => {
      const site = path.join(work, 'site');
      mkdirSync(site);
      const conf = path.join(site, 'site.conf');
      writeFileSync(
        conf,
        [
          'interface=eth0',
          'bind-interfaces',
          'port=0',
          'pid-file=',
          'log-facility=-',
          'dhcp-range=10.99.0.200,10.99.0.220,255.255.255.0,1h',
          `dhcp-leasefile=${site}/leases`,
          '',
        ].join('\n'),
      );
      children.push(
        spawn('ip', ['netns', 'exec', ns('site'), 'dnsmasq', `--conf-file=${conf}`, '--keep-in-foreground'], {
          stdio: 'ignore',
        }),
      );
      await startPxe('proxy', { BRUME_PXE_MODE: 'proxy' });
      await until('proxy dnsmasq up', dnsmasqSaid('proxy on subnet 10.99.0.0'));
    });

    it('Given a plain (non-PXE) DHCP client, then only the site server answers it', async () => {
      const lease = await udhcpc('c1', ['-V', 'plain-client']);
      expect(lease.serverid).toBe('10.99.0.2');
      expect(lease.ip).toMatch(/^10\.99\.0\.2(0\d|1\d|20)$/);
    });

    it('Given a BIOS PXE client, then it sees the site address offer and our proxy offer with boot file and next-server', async () => {
      const offers = await probe('c1', 0, false);
      const site = offers.find((o) => o.serverId === '10.99.0.2');
      const proxy = offers.find((o) => o.serverId === SERVER);
      expect(site?.yiaddr).toMatch(/^10\.99\.0\.2\d\d$/);
      expect(site?.file).toBe('');
      expect(proxy).toMatchObject({
        yiaddr: '0.0.0.0',
        siaddr: SERVER,
        file: 'undionly.kpxe',
        vendorClass: 'PXEClient',
      });
    });

    it('Given a UEFI x64 PXE client, then the proxy sends it to port 4011, where it is given ipxe.efi', async () => {
      const offers = await probe('c1', 7, false);
      expect(offers.find((o) => o.serverId === SERVER)).toMatchObject({
        yiaddr: '0.0.0.0',
        siaddr: SERVER,
        file: '',
      });
      // c2 stands for the same ROM once the site server leased it an address.
      const acks = await probe('c2', 7, false, 2000, `${SERVER}:4011`);
      expect(acks[0]).toMatchObject({ serverId: SERVER, siaddr: SERVER, file: 'ipxe.efi', messageType: 5 });
    });

    it('Given iPXE (user class iPXE) beside the site server, then the proxy offer names the boot.ipxe URL', async () => {
      const offers = await probe('c1', 0, true);
      expect(offers.find((o) => o.serverId === SERVER)).toMatchObject({ yiaddr: '0.0.0.0', file: BOOT_URL });
    });
  });

  describe('failures', () => {
    it('Given an interface that does not exist, then dnsmasq fails, the error is reported and restarts back off', async () => {
      const service = await startPxe(
        'broken',
        { BRUME_PXE_INTERFACE: 'nosuch0' },
        { initialMs: 100, maxMs: 400 },
      );
      const status = await until('two restarts', () => {
        const s = service.status();
        return s.enabled && (s.dnsmasq?.restarts ?? 0) >= 2 ? s : undefined;
      });
      expect(status.enabled && status.dnsmasq?.lastError).toMatch(/unknown interface nosuch0/);
      await service.stop();
    });
  });
});
