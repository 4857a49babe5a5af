/**
 * The boot chain over a test app's real services, on a real HTTP socket, the way iPXE reaches it.
 * `env` is the PXE configuration (kernel, initrd, memtest URLs); `now` fixes the boot clock.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { bootScriptRoutes } from '../../../server/src/pxe/boot-route.ts';
import { createBootScriptHandler } from '../../../server/src/pxe/boot-script-handler.ts';
import { loadPxeConfig } from '../../../server/src/pxe/pxe-config.ts';
import { createPxeDirectory } from '../../../server/src/pxe/pxe-directory-adapter.ts';
import type { TestApp } from '../../support/app.ts';

export async function serveBootChain(t: TestApp, env: Record<string, string>, now: () => Date) {
  const log = pino({ level: 'silent' });
  const boot = loadPxeConfig(env).boot;
  const directory = createPxeDirectory(t.app.services, { log, now });
  const routes = bootScriptRoutes(createBootScriptHandler({ directory, boot, log, now }));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routes.find((r) => r.method === req.method && r.path === url.pathname);
    if (route) void route.handle(req, res, url);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
