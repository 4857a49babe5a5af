import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DnsmasqConfigValueError, renderDnsmasqConfig } from '../../../server/src/pxe/dnsmasq-config.ts';
import {
  type DnsmasqSettings,
  loadPxeConfig,
  parsePxeConfig,
  pxeSection,
} from '../../../server/src/pxe/pxe-config.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'brpxe-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const LAB = {
  BRUME_DATA_DIR: path.join(work, 'data'),
  BRUME_PXE_INTERFACE: 'eth1',
  BRUME_PXE_MODE: 'dhcp',
  BRUME_PXE_NEXT_SERVER: '172.28.0.1',
  BRUME_PXE_RANGE_START: '172.28.0.100',
  BRUME_PXE_RANGE_END: '172.28.0.200',
  BRUME_PXE_ROUTER: '172.28.0.1',
  BRUME_PXE_DNS: '172.28.0.1, 9.9.9.9',
  PORT: '8080',
};

function problemNames(env: Record<string, string>): string[] {
  const result = parsePxeConfig(env);
  return result.ok ? [] : result.problems.map((p) => p.name);
}

/** Runs the real dnsmasq parser over a rendered file: it exits non-zero on any bad line. */
function dnsmasqAccepts(text: string): void {
  const file = path.join(work, `test-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, text);
  execFileSync('dnsmasq', ['--test', `--conf-file=${file}`], { stdio: 'pipe' });
}

describe('PXE configuration', () => {
  it('Given no BRUME_PXE_INTERFACE, then dnsmasq stays off while the menu settings still apply', () => {
    const config = loadPxeConfig({ BRUME_PXE_MENU_TIMEOUT: '5' });
    expect(config.dnsmasq).toBeNull();
    expect(config.boot.menuTimeoutSeconds).toBe(5);
  });

  it("Given the reference lab's settings, then dhcp mode on eth1 with its range, router and DNS", () => {
    const d = loadPxeConfig(LAB).dnsmasq;
    expect(d).toMatchObject({
      interface: 'eth1',
      mode: 'dhcp',
      serverAddress: '172.28.0.1',
      dhcp: {
        start: '172.28.0.100',
        end: '172.28.0.200',
        router: '172.28.0.1',
        dns: ['172.28.0.1', '9.9.9.9'],
        leaseTime: '12h',
      },
      tftpRoot: path.join(work, 'data', 'pxe', 'tftp'),
      uefiBinary: 'ipxe.efi',
    });
  });

  it('Given many invalid values at once, then every one of them is reported, not just the first', () => {
    expect(
      problemNames({
        BRUME_PXE_INTERFACE: 'eth0\ndhcp-script=/tmp/x',
        BRUME_PXE_MODE: 'both',
        BRUME_PXE_NEXT_SERVER: '10.0.0.256',
        BRUME_PXE_NETMASK: '255.0.255.0',
        BRUME_PXE_MENU_TIMEOUT: '-1',
        BRUME_BOOT_KERNEL_URL: 'http://x/vmlinuz\nkernel http://evil',
        BRUME_BOOT_KERNEL_ARGS: `quiet \${password}`,
        BRUME_PXE_UEFI_BINARY: '../../bin/sh',
        BRUME_PXE_DNSMASQ_USER: 'root;id',
      }).sort(),
    ).toEqual(
      [
        'BRUME_PXE_MENU_TIMEOUT',
        'BRUME_BOOT_KERNEL_URL',
        'BRUME_BOOT_KERNEL_ARGS',
        'BRUME_PXE_INTERFACE',
        'BRUME_PXE_MODE',
        'BRUME_PXE_NEXT_SERVER',
        'BRUME_PXE_NETMASK',
        'BRUME_PXE_UEFI_BINARY',
        'BRUME_PXE_DNSMASQ_USER',
      ].sort(),
    );
  });

  it('Given dhcp mode without a range, a reversed range or one outside the subnet, then each is named', () => {
    expect(problemNames({ ...LAB, BRUME_PXE_RANGE_START: '', BRUME_PXE_RANGE_END: '' })).toEqual([
      'BRUME_PXE_RANGE_START',
      'BRUME_PXE_RANGE_END',
    ]);
    expect(
      problemNames({ ...LAB, BRUME_PXE_RANGE_START: '172.28.0.200', BRUME_PXE_RANGE_END: '172.28.0.100' }),
    ).toEqual(['BRUME_PXE_RANGE_END']);
    expect(
      problemNames({ ...LAB, BRUME_PXE_RANGE_START: '10.1.0.10', BRUME_PXE_RANGE_END: '10.1.0.20' }),
    ).toEqual(['BRUME_PXE_RANGE_START']);
  });

  it.each([
    ['BRUME_PXE_INTERFACE', 'eth0 # x'],
    ['BRUME_PXE_INTERFACE', 'a-very-long-interface0'],
    ['BRUME_PXE_ROUTER', '10.0.0.1,dhcp-script=/bin/sh'],
    ['BRUME_PXE_DNS', '1.1.1.1\nenable-ra'],
    ['BRUME_PXE_LEASE_TIME', '12h\nconf-file=/etc/shadow'],
    ['BRUME_PXE_PUBLIC_URL', 'http://10.0.0.1,,evil'],
    ['BRUME_PXE_TFTP_ROOT', '/srv/tftp/../../etc'],
    ['BRUME_PXE_TFTP_ROOT', 'relative/dir'],
    ['BRUME_PXE_NEXT_SERVER', '010.0.0.1'],
  ])('Given %s=%j (an injection or malformed value), then it is refused', (name, value) => {
    expect(problemNames({ ...LAB, [name]: value })).toContain(name);
  });

  it('Given the zod section form, then problems come back as issues whose path is the variable', () => {
    const result = z
      .object({ pxe: pxeSection })
      .shape.pxe.safeParse({ BRUME_PXE_INTERFACE: 'x y', BRUME_PXE_MODE: 'z' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual([
      'BRUME_PXE_INTERFACE',
      'BRUME_PXE_MODE',
    ]);
  });
});

describe('dnsmasq.conf rendering', () => {
  const settings = loadPxeConfig(LAB).dnsmasq as DnsmasqSettings;
  const bootUrl = 'http://172.28.0.1:8080/boot.ipxe';

  it('Given dhcp mode, then only the named interface, no DNS, the range, boot files by arch, TFTP in the data dir', () => {
    const text = renderDnsmasqConfig({ settings, serverAddress: '172.28.0.1', bootUrl });
    const lines = text.trim().split('\n');
    for (const line of [
      'interface=eth1',
      'bind-interfaces',
      'port=0',
      'log-facility=-',
      'keep-in-foreground',
      'dhcp-range=172.28.0.100,172.28.0.200,255.255.255.0,12h',
      'dhcp-option=option:router,172.28.0.1',
      'dhcp-option=option:dns-server,172.28.0.1,9.9.9.9',
      'dhcp-match=set:bios,option:client-arch,0',
      'dhcp-match=set:efi64,option:client-arch,7',
      'dhcp-match=set:efi64,option:client-arch,9',
      'dhcp-userclass=set:ipxe,iPXE',
      'dhcp-match=set:ipxe,175',
      `dhcp-boot=tag:ipxe,${bootUrl},,172.28.0.1`,
      'dhcp-boot=tag:!ipxe,tag:bios,undionly.kpxe,,172.28.0.1',
      'dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi,,172.28.0.1',
      'enable-tftp',
      `tftp-root=${path.join(work, 'data', 'pxe', 'tftp')}`,
      'tftp-secure',
      `dhcp-leasefile=${path.join(work, 'data', 'pxe', 'dnsmasq.leases')}`,
    ]) {
      expect(lines).toContain(line);
    }
    expect(lines.filter((l) => l.startsWith('interface='))).toHaveLength(1);
    expect(text).not.toMatch(/pxe-service/);
    dnsmasqAccepts(text);
  });

  it('Given proxy mode, then a proxy range on the server subnet and pxe-service entries, and dnsmasq accepts it', () => {
    const proxy = { ...settings, mode: 'proxy' as const, dhcp: null, uefiBinary: 'snponly.efi' as const };
    const text = renderDnsmasqConfig({ settings: proxy, serverAddress: '172.28.0.1', bootUrl });
    expect(text).toContain('dhcp-range=172.28.0.0,proxy,255.255.255.0\n');
    expect(text).toContain('pxe-service=tag:!ipxe,x86PC,"Brume (iPXE)",undionly.kpxe,172.28.0.1\n');
    expect(text).toContain('pxe-service=tag:!ipxe,x86-64_EFI,"Brume (iPXE)",snponly.efi,172.28.0.1\n');
    expect(text).not.toMatch(/dhcp-authoritative|option:router/);
    dnsmasqAccepts(text);
  });

  it.each([
    ['an interface with a newline', { settings: { ...settings, interface: 'eth1\nconf-dir=/etc' } }],
    ['a boot URL with a comma', { bootUrl: 'http://172.28.0.1/boot.ipxe,,6.6.6.6' }],
    ['a server address that is not IPv4', { serverAddress: '172.28.0.1\nenable-ra' }],
    ['a TFTP root with a control character', { settings: { ...settings, tftpRoot: '/srv/tftp\r' } }],
    [
      'a DHCP range end smuggling an option',
      { settings: { ...settings, dhcp: { ...settings.dhcp!, end: '1.2.3.4,static' } } },
    ],
  ])('Given hand-built settings with %s, then rendering refuses with a typed error', (_what, patch) => {
    expect(() => renderDnsmasqConfig({ settings, serverAddress: '172.28.0.1', bootUrl, ...patch })).toThrow(
      DnsmasqConfigValueError,
    );
  });
});
