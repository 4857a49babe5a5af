import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AuthService } from './auth-service.ts';

export const initialAdminFile = 'initial-admin-password';
export const initialAdminUsername = 'admin';

/**
 * First start only (no user at all): creates `admin` with a random password, writes it to
 * `<dataDir>/initial-admin-password` (0600) and returns it so the caller prints it once.
 * Returns null when users already exist. There is never a built-in credential.
 */
export async function ensureInitialAdmin(auth: AuthService, dataDir: string): Promise<string | null> {
  if ((await auth.users.count()) > 0) return null;
  const password = randomBytes(18).toString('base64url');
  await auth.users.create({ username: initialAdminUsername, password, role: 'ADMIN' });
  await fs.mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, initialAdminFile);
  await fs.rm(file, { force: true });
  await fs.writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}
