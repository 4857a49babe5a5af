/**
 * The operator's session token, kept between runs in the XDG config dir
 * (`~/.config/brume/tokens.json`, mode 0600, dir 0700), one per server URL.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import envPaths from 'env-paths';

export function defaultConfigDir(): string {
  return envPaths('brume', { suffix: '' }).config;
}

export class TokenStore {
  readonly dir: string;
  readonly file: string;
  constructor(dir: string = defaultConfigDir()) {
    this.dir = dir;
    this.file = join(dir, 'tokens.json');
  }

  private async readAll(): Promise<Record<string, string>> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch {
      return {}; // missing or unreadable: as if no token was stored
    }
  }

  async get(server: string): Promise<string | null> {
    return (await this.readAll())[server] ?? null;
  }

  async set(server: string, token: string | null): Promise<void> {
    const all = await this.readAll();
    if (token === null) delete all[server];
    else all[server] = token;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(this.file, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    await chmod(this.file, 0o600); // writeFile's mode only applies when it creates the file
  }
}
