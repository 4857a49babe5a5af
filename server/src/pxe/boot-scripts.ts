import type { BootHost, BootImage, BootTask } from './boot-directory.ts';
import { ipxeDisplayText } from './ipxe-text.ts';
import type { PxeBootSettings } from './pxe-config.ts';

/**
 * Pure renderers of the iPXE scripts /boot.ipxe returns. Every value placed in a script is either
 * validated at parse (MAC, URLs, ids) or passed through ipxeDisplayText; `${...}` appears only for
 * iPXE's own variables (username/password typed at the client, platform, target).
 */

export interface BootScriptContext {
  /** Base URL of this server as iPXE reaches it, no trailing slash. */
  readonly baseUrl: string;
  readonly mac: string;
  readonly boot: PxeBootSettings;
}

/** Actions behind a login, and the FOG menu labels of all rows. */
export type BootAction = 'deploy' | 'multicast' | 'delete' | 'approve';
export const BOOT_ACTIONS: readonly BootAction[] = ['deploy', 'multicast', 'delete', 'approve'];

export const MENU_ROWS = {
  local: 'Boot from hard disk',
  memtest: 'Run Memtest86+',
  fullReg: 'Perform Full Host Registration and Inventory',
  quickReg: 'Quick Registration and Inventory',
  deploy: 'Deploy Image',
  multicast: 'Join Multicast Session',
  delete: 'Quick Host Deletion',
  sysinfo: 'Client System Information (Compatibility)',
  approve: 'Approve This Host',
} as const;

const script = (lines: readonly string[]): string => `#!ipxe\n${lines.join('\n')}\n`;

/** Back to the menu for this MAC; arch/platform are iPXE's own variables. */
function menuUrl(ctx: BootScriptContext): string {
  return `${ctx.baseUrl}/boot.ipxe?mac=${ctx.mac}&arch=\${buildarch}&platform=\${platform}`;
}

/** First request (no MAC yet): chain ourselves with what iPXE knows about the machine. */
export function bootstrapScript(baseUrl: string): string {
  return script([
    `chain ${baseUrl}/boot.ipxe?mac=\${netX/mac}&arch=\${buildarch}&platform=\${platform}&uuid=\${uuid} || exit 1`,
  ]);
}

/**
 * Set by the kernel at boot (Linux >= 5.8 applies `sysctl.*` command-line words): a multicast
 * receiver's socket may then hold 8 MiB (Debian's default `rmem_max`, 208 KiB, is under 2 ms at
 * 1 Gbit/s), which lets it drain the socket on a timer instead of per wake-up and absorb a stall
 * (PROTOCOL.md, "Implementation notes"). The operator's BRUME_BOOT_KERNEL_ARGS come after: a
 * later word for the same sysctl wins.
 */
const IMAGING_SYSCTLS = 'sysctl.net.core.rmem_max=8388608';

/** The imaging environment's kernel, initrd and boot, with the server and mode on the command line. */
function imagingBoot(ctx: BootScriptContext, params: readonly string[], onFailure: string): string[] {
  const { kernelUrl, initrdUrl, kernelArgs } = ctx.boot;
  if (kernelUrl === null || initrdUrl === null) {
    return [
      'echo The imaging environment is not configured on this server (BRUME_BOOT_KERNEL_URL, BRUME_BOOT_INITRD_URL)',
      'sleep 5',
      `goto ${onFailure}`,
    ];
  }
  const args = [
    'initrd=initrd',
    `brume.server=${ctx.baseUrl}`,
    `brume.mac=${ctx.mac}`,
    ...params,
    IMAGING_SYSCTLS,
    ...kernelArgs,
  ];
  return [
    `kernel ${kernelUrl} ${args.join(' ')}`,
    `initrd --name initrd ${initrdUrl}`,
    `boot || goto ${onFailure}`,
  ];
}

/** A value the directory gave us that cannot go on a kernel command line as is. */
export class BootScriptValueError extends Error {
  readonly code = 'BOOT_SCRIPT_VALUE';
  constructor(field: string) {
    super(`refusing to put an unsafe ${field} into an iPXE script`);
    this.name = 'BootScriptValueError';
  }
}

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A host with a pending task boots straight into it. No token: the client checks in for one. */
export function taskScript(ctx: BootScriptContext, task: BootTask): string {
  if (!SAFE_ID.test(task.id)) throw new BootScriptValueError('task id');
  if (!SAFE_ID.test(task.kind)) throw new BootScriptValueError('task kind');
  return script([
    `echo Brume: starting task ${ipxeDisplayText(task.kind, 32)} for ${ctx.mac}`,
    ...imagingBoot(ctx, [`brume.task=${task.id}`, `brume.kind=${task.kind}`], 'brume.failed'),
    ':brume.failed',
    'echo Brume: the imaging environment did not boot; back to the firmware in 10 s',
    'sleep 10',
    'exit 1',
  ]);
}

export const MEMTEST_MISSING = 'Memtest86+ is not configured on this server (BRUME_BOOT_MEMTEST_URL)';

/** FOG's Memtest86+ task: the host boots it; the task ends as the script is served. */
export function memtestTaskScript(ctx: BootScriptContext): string {
  if (ctx.boot.memtestUrl === null) {
    return script([`echo Brume: ${MEMTEST_MISSING}; the task failed`, 'sleep 10', 'exit 1']);
  }
  return script([
    `echo Brume: Memtest86+ for ${ctx.mac}`,
    `kernel ${ctx.boot.memtestUrl}`,
    'boot || goto memtest.failed',
    ':memtest.failed',
    'echo Brume: Memtest86+ did not boot; back to the firmware in 10 s',
    'sleep 10',
    'exit 1',
  ]);
}

export function menuHeader(host: BootHost | null): string {
  if (host === null) return 'Host is NOT registered!';
  if (host.state === 'pending') return 'Host is pending approval!';
  return `Host is registered as ${ipxeDisplayText(host.name)}!`;
}

type Row = { readonly label: string; readonly text: string };

/** Rows by host state, as fog.md lists them (U unregistered, P pending, R registered). */
export function menuRows(host: BootHost | null): Row[] {
  const rows: Row[] = [
    { label: 'fog.local', text: MENU_ROWS.local },
    { label: 'fog.memtest', text: MENU_ROWS.memtest },
  ];
  if (host === null) {
    rows.push(
      { label: 'fog.reginput', text: MENU_ROWS.fullReg },
      { label: 'fog.reg', text: MENU_ROWS.quickReg },
    );
  }
  rows.push(
    { label: 'fog.deployimage', text: MENU_ROWS.deploy },
    { label: 'fog.multijoin', text: MENU_ROWS.multicast },
  );
  if (host?.state === 'approved') rows.push({ label: 'fog.quickdel', text: MENU_ROWS.delete });
  rows.push({ label: 'fog.sysinfo', text: MENU_ROWS.sysinfo });
  if (host?.state === 'pending') rows.push({ label: 'fog.approvehost', text: MENU_ROWS.approve });
  return rows;
}

/** The login block: the typed credentials travel in a POST body, never in the URL or script. */
function loginBlock(ctx: BootScriptContext): string[] {
  return [
    ':brume.login',
    'login || goto menu',
    'params',
    `param mac ${ctx.mac}`,
    `param action \${brume_action}`,
    `param arch \${buildarch}`,
    `param platform \${platform}`,
    `param username \${username}`,
    `param password \${password}`,
    `chain ${ctx.baseUrl}/boot.ipxe##params || goto menu`,
  ];
}

const ACTION_LABELS: Record<string, BootAction> = {
  'fog.deployimage': 'deploy',
  'fog.multijoin': 'multicast',
  'fog.quickdel': 'delete',
  'fog.approvehost': 'approve',
};

function rowBody(ctx: BootScriptContext, label: string): string[] {
  const action = ACTION_LABELS[label];
  if (action !== undefined) return [`set brume_action ${action}`, 'goto brume.login'];
  switch (label) {
    case 'fog.local':
      // UEFI firmware boots the next device when iPXE exits; BIOS needs sanboot of the first disk.
      return [`iseq \${platform} efi && exit 0 || sanboot --no-describe --drive 0x80 || exit 0`];
    case 'fog.memtest':
      return ctx.boot.memtestUrl === null
        ? [`echo ${MEMTEST_MISSING}`, 'sleep 3', 'goto menu']
        : [`kernel ${ctx.boot.memtestUrl}`, 'boot || goto menu'];
    case 'fog.reginput':
      return imagingBoot(ctx, ['brume.mode=register'], 'menu');
    case 'fog.reg':
      return imagingBoot(ctx, ['brume.mode=quickreg'], 'menu');
    default:
      return imagingBoot(ctx, ['brume.mode=sysinfo'], 'menu');
  }
}

/** FOG's menu for a host without a pending task. */
export function menuScript(ctx: BootScriptContext, host: BootHost | null): string {
  const rows = menuRows(host);
  const timeoutMs = ctx.boot.menuTimeoutSeconds * 1000;
  const lines = [
    ':menu',
    `menu ${menuHeader(host)}`,
    `item --gap -- ${menuHeader(host)}`,
    ...rows.map((r) => `item ${r.label} ${r.text}`),
    `choose --default fog.local --timeout ${timeoutMs} target || goto fog.local`,
    `goto \${target}`,
  ];
  for (const row of rows) lines.push(`:${row.label}`, ...rowBody(ctx, row.label));
  if (rows.some((r) => ACTION_LABELS[r.label] !== undefined)) lines.push(...loginBlock(ctx));
  return script(lines);
}

/** A short screen with one message and a way back to the menu (e.g. "Invalid login"). */
export function messageScript(ctx: BootScriptContext, title: string, message: string): string {
  return script([
    ':menu',
    `menu ${ipxeDisplayText(title)}`,
    `item --gap -- ${ipxeDisplayText(message, 72)}`,
    'item brume.back Back to the menu',
    'choose --default brume.back --timeout 5000 target || goto brume.back',
    `goto \${target}`,
    ':brume.back',
    `chain ${menuUrl(ctx)} || exit 1`,
  ]);
}

/** After a good login for Deploy Image: pick an image; the choice posts back with the login. */
export function imageChoiceScript(ctx: BootScriptContext, all: readonly BootImage[]): string {
  const images = all.filter((image) => SAFE_ID.test(image.id));
  const lines = [':menu', `menu ${MENU_ROWS.deploy}`];
  for (const [i, image] of images.entries()) lines.push(`item brume.img.${i} ${ipxeDisplayText(image.name)}`);
  lines.push('item brume.back Back to the menu');
  lines.push('choose --default brume.back target || goto brume.back', `goto \${target}`);
  images.forEach((image, i) => {
    lines.push(`:brume.img.${i}`, ...postBack(ctx, 'deploy', [`param image ${image.id}`]));
  });
  lines.push(':brume.back', `chain ${menuUrl(ctx)} || exit 1`);
  return script(lines);
}

/** After a good login for Join Multicast Session: ask the session name (FOG does the same). */
export function sessionPromptScript(ctx: BootScriptContext): string {
  return script([
    'echo -n Multicast session name: ',
    'read brume_session || goto brume.back',
    ...postBack(ctx, 'multicast', [`param session \${brume_session}`]),
    ':brume.back',
    `chain ${menuUrl(ctx)} || exit 1`,
  ]);
}

function postBack(ctx: BootScriptContext, action: BootAction, extra: readonly string[]): string[] {
  return [
    'params',
    `param mac ${ctx.mac}`,
    `param action ${action}`,
    `param arch \${buildarch}`,
    `param platform \${platform}`,
    ...extra,
    `param username \${username}`,
    `param password \${password}`,
    `chain ${ctx.baseUrl}/boot.ipxe##params || goto brume.back`,
  ];
}

/** Chain back to the menu (after delete/approve, whose effect the next menu shows). */
export function backToMenuScript(ctx: BootScriptContext, message: string): string {
  return script([`echo ${ipxeDisplayText(message, 72)}`, 'sleep 2', `chain ${menuUrl(ctx)} || exit 1`]);
}

/** The request could not name a machine: say so and let the firmware go on. */
export function unusableRequestScript(reason: string): string {
  return script([`echo Brume: ${ipxeDisplayText(reason, 72)}`, 'sleep 5', 'exit 1']);
}
