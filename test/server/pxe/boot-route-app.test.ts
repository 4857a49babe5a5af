import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.ts';

/** The boot chain mounted in the real app: iPXE reaches /boot.ipxe on the API's port. */
describe('/boot.ipxe in the running server', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp();
    url = new URL((await t.listen()).url).origin;
  });
  afterAll(() => t.close());

  it('Given an unknown MAC, when iPXE asks for its script, then it gets the FOG menu for an unregistered host', async () => {
    const res = await fetch(`${url}/boot.ipxe?mac=52:54:00:12:34:56&arch=0`);
    expect(res.status).toBe(200);
    const script = await res.text();
    expect(script.startsWith('#!ipxe')).toBe(true);
    expect(script).toContain('Host is NOT registered!');
    expect(script).toContain('Perform Full Host Registration and Inventory');
  });

  it('Given PXE is not configured, then the server reports it disabled and still serves the API', async () => {
    expect(t.app.pxeStatus()).toEqual({ enabled: false });
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
  });
});
