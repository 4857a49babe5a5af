import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenStore } from '../../../tui/src/api/token-store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('token store (XDG config dir)', () => {
  it('keeps one token per server in a 0600 file inside a 0700 directory', async () => {
    const base = mkdtempSync(join(tmpdir(), 'brume-tokens-'));
    dirs.push(base);
    const store = new TokenStore(join(base, 'brume'));
    expect(await store.get('http://a:8080')).toBeNull();
    await store.set('http://a:8080', 'tok-a');
    await store.set('http://b:8080', 'tok-b');
    expect(await store.get('http://a:8080')).toBe('tok-a');
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    await store.set('http://a:8080', null);
    expect(await store.get('http://a:8080')).toBeNull();
    expect(await store.get('http://b:8080')).toBe('tok-b');
  });
});
