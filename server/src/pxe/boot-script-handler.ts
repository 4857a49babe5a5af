import type { Logger } from 'pino';
import type { BootActionContext, BootDirectory, BootHost, BootOperator, BootTask } from './boot-directory.ts';
import {
  BOOT_ACTIONS,
  type BootAction,
  type BootScriptContext,
  backToMenuScript,
  bootstrapScript,
  imageChoiceScript,
  MEMTEST_MISSING,
  memtestTaskScript,
  menuScript,
  messageScript,
  sessionPromptScript,
  taskScript,
  unusableRequestScript,
} from './boot-scripts.ts';
import { parseBootMac, parseOpaqueId, parseToken, parseUuid } from './ipxe-text.ts';
import type { PxeBootSettings } from './pxe-config.ts';
import { isSafeUrl } from './pxe-values.ts';

/**
 * GET/POST /boot.ipxe as a WHATWG fetch handler. GET serves the task or the menu for a MAC; POST
 * carries the login iPXE collected for a state-changing row. Nothing a MAC alone can request
 * reveals a secret or changes state, with one exception FOG makes too: booting a host's queued
 * Memtest86+ task ends that task (a spoofed MAC can end a memory test early, nothing more).
 */

export interface BootScriptHandlerDeps {
  readonly directory: BootDirectory;
  readonly boot: PxeBootSettings;
  readonly log: Logger;
  readonly now?: () => Date;
}

export interface BootRequestInfo {
  /** The client's address (the HTTP layer knows it; a Request does not). */
  readonly remoteAddress?: string | null;
}

export type BootScriptHandler = (request: Request, info?: BootRequestInfo) => Promise<Response>;

/** A form from iPXE is a few hundred bytes; anything much larger is not one. */
const MAX_BODY_BYTES = 8 * 1024;
const MAX_CREDENTIAL_LENGTH = 256;

function ipxeResponse(text: string, status = 200): Response {
  return new Response(text, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  });
}

async function readForm(request: Request): Promise<URLSearchParams | null> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES || request.body === null)
    return declared > MAX_BODY_BYTES ? null : new URLSearchParams();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function baseUrlOf(request: Request, boot: PxeBootSettings): string | null {
  if (boot.publicUrl !== null) return boot.publicUrl;
  const origin = new URL(request.url).origin;
  return isSafeUrl(origin) ? origin : null;
}

interface Incoming {
  readonly params: URLSearchParams;
  readonly ctx: BootScriptContext;
  readonly host: BootHost | null;
  readonly address: string | null;
}

export function createBootScriptHandler(deps: BootScriptHandlerDeps): BootScriptHandler {
  const now = deps.now ?? (() => new Date());
  const log = deps.log.child({ component: 'boot-script' });

  async function record(inc: Incoming, outcome: string): Promise<void> {
    const entry = {
      mac: inc.ctx.mac,
      hostId: inc.host?.id ?? null,
      address: inc.address,
      arch:
        [parseToken(inc.params.get('arch')), parseToken(inc.params.get('platform'))]
          .filter((x) => x !== null)
          .join('-') || null,
      uuid: parseUuid(inc.params.get('uuid')),
      at: now(),
      outcome,
    };
    log.info(
      { mac: entry.mac, hostId: entry.hostId, address: entry.address, arch: entry.arch, outcome },
      'boot request',
    );
    // A failing boot log must not keep a machine from booting.
    await deps.directory.recordBoot(entry).catch((err: unknown) => log.error({ err }, 'recordBoot failed'));
  }

  async function serveMenuOrTask(inc: Incoming): Promise<Response> {
    const task = inc.host?.pendingTask ?? null;
    await record(inc, task === null ? 'menu' : task.kind === 'memtest' ? 'memtest' : 'task');
    if (task?.kind === 'memtest') return serveMemtest(inc, task);
    return ipxeResponse(task === null ? menuScript(inc.ctx, inc.host) : taskScript(inc.ctx, task));
  }

  /** The boot chain runs a Memtest86+ task itself: it ends as its script goes out. */
  async function serveMemtest(inc: Incoming, task: BootTask): Promise<Response> {
    const failure = deps.boot.memtestUrl === null ? MEMTEST_MISSING : null;
    await deps.directory
      .finishBootTask(task.id, failure)
      .catch((err: unknown) => log.warn({ err, taskId: task.id }, 'memtest task not ended'));
    return ipxeResponse(memtestTaskScript(inc.ctx));
  }

  return async function handleBootScript(request, info) {
    if (request.method !== 'GET' && request.method !== 'POST')
      return ipxeResponse(unusableRequestScript('method not allowed'), 405);
    const baseUrl = baseUrlOf(request, deps.boot);
    if (baseUrl === null) return ipxeResponse(unusableRequestScript('this server has no usable public URL'));
    const params = request.method === 'POST' ? await readForm(request) : new URL(request.url).searchParams;
    if (params === null) return ipxeResponse(unusableRequestScript('request too large'), 413);
    const rawMac = params.get('mac');
    if (rawMac === null && request.method === 'GET') return ipxeResponse(bootstrapScript(baseUrl));
    const mac = parseBootMac(rawMac);
    if (mac === null) return ipxeResponse(unusableRequestScript('no valid MAC address in the request'));
    try {
      const host = await deps.directory.lookupByMac(mac);
      const inc: Incoming = {
        params,
        host,
        address: info?.remoteAddress ?? null,
        ctx: { baseUrl, mac, boot: deps.boot },
      };
      if (request.method === 'POST') return await handleAction(inc);
      return await serveMenuOrTask(inc);
    } catch (err) {
      log.error({ err, mac }, 'boot script failed');
      return ipxeResponse(unusableRequestScript('server error; try again'));
    }
  };

  async function handleAction(inc: Incoming): Promise<Response> {
    const action = inc.params.get('action') as BootAction | null;
    if (action === null || !BOOT_ACTIONS.includes(action)) return serveMenuOrTask(inc);
    const state = inc.host?.state ?? null;
    if ((action === 'delete' && state !== 'approved') || (action === 'approve' && state !== 'pending')) {
      await record(inc, `${action}-not-available`);
      return ipxeResponse(
        messageScript(inc.ctx, 'Not available', 'This action is not available for this host'),
      );
    }
    const operator = await login(inc);
    if (operator === null) {
      await record(inc, 'login-refused');
      return ipxeResponse(messageScript(inc.ctx, 'Invalid login', 'Invalid login'));
    }
    const actx: BootActionContext = { mac: inc.ctx.mac, host: inc.host, operator, address: inc.address };
    return perform(inc, action, actx);
  }

  async function login(inc: Incoming): Promise<BootOperator | null> {
    const username = inc.params.get('username') ?? '';
    const password = inc.params.get('password') ?? '';
    if (
      username === '' ||
      password === '' ||
      username.length > MAX_CREDENTIAL_LENGTH ||
      password.length > MAX_CREDENTIAL_LENGTH
    ) {
      return null;
    }
    const operator = await deps.directory.verifyOperator(username, password, inc.address);
    if (operator === null) log.warn({ mac: inc.ctx.mac, address: inc.address }, 'boot menu login refused');
    return operator;
  }

  async function perform(inc: Incoming, action: BootAction, actx: BootActionContext): Promise<Response> {
    const { ctx } = inc;
    const by = actx.operator.username;
    if (action === 'deploy') {
      const imageId = parseOpaqueId(inc.params.get('image'));
      if (imageId === null) {
        const images = await deps.directory.listImages();
        if (images.length === 0)
          return ipxeResponse(messageScript(ctx, 'Deploy Image', 'No image is available'));
        return ipxeResponse(imageChoiceScript(ctx, images));
      }
      const result = await deps.directory.deployImage(actx, imageId);
      await record(inc, result.ok ? `deploy by ${by}` : 'deploy-refused');
      return ipxeResponse(
        result.ok ? taskScript(ctx, result.value) : messageScript(ctx, 'Deploy Image', result.message),
      );
    }
    if (action === 'multicast') {
      const session = inc.params.get('session');
      if (session === null || session === '') return ipxeResponse(sessionPromptScript(ctx));
      const result = await deps.directory.joinMulticastSession(actx, session.slice(0, 128));
      await record(inc, result.ok ? `multicast by ${by}` : 'multicast-refused');
      return ipxeResponse(
        result.ok
          ? taskScript(ctx, result.value)
          : messageScript(ctx, 'Join Multicast Session', result.message),
      );
    }
    if (action === 'delete') {
      const result = await deps.directory.deleteHost(actx);
      await record(inc, result.ok ? `delete by ${by}` : 'delete-refused');
      return ipxeResponse(
        result.ok
          ? backToMenuScript(ctx, 'Host deleted')
          : messageScript(ctx, 'Quick Host Deletion', result.message),
      );
    }
    const result = await deps.directory.approveHost(actx);
    await record(inc, result.ok ? `approve by ${by}` : 'approve-refused');
    // Back to the menu: the inventory task approval queued now boots straight away.
    return ipxeResponse(
      result.ok
        ? backToMenuScript(ctx, 'Host approved')
        : messageScript(ctx, 'Approve This Host', result.message),
    );
  }
}
