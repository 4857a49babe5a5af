import argon2 from 'argon2';

/** Credentials FOG and many appliances ship with: never accepted, whatever the user. */
const wellKnownPasswords = new Set([
  'password',
  'admin',
  'fog',
  'root',
  'changeme',
  '123456',
  '12345678',
  'brume',
]);

export const minPasswordLength = 12;
export const maxPasswordLength = 256;

/** Why a new password is refused, or null when it is acceptable. */
export function passwordWeakness(password: string, username: string): string | null {
  if (password.length < minPasswordLength) return `must be at least ${minPasswordLength} characters`;
  if (password.length > maxPasswordLength) return `must be at most ${maxPasswordLength} characters`;
  const lower = password.toLowerCase();
  if (wellKnownPasswords.has(lower) || lower === username.toLowerCase()) return 'is a well-known password';
  return null;
}

// OWASP's argon2id baseline (19 MiB, 2 passes) keeps a login well under a second on a small server.
const hashOptions = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string): Promise<string> => argon2.hash(password, hashOptions);

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (password.length === 0 || password.length > maxPasswordLength) return false;
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash to verify against when the user does not exist, so timing does not reveal usernames. */
let decoyHash: Promise<string> | undefined;
export const decoyPasswordHash = (): Promise<string> => {
  decoyHash ??= hashPassword('decoy-password-never-matches-anything');
  return decoyHash;
};
