import type { Role } from './auth-table.ts';

const rank: Record<Role, number> = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 };

/** ADMIN ⊃ OPERATOR ⊃ VIEWER. */
export const roleAtLeastOf = (held: Role, needed: Role): boolean => rank[held] >= rank[needed];

export const minRole = (a: Role, b: Role): Role => (rank[a] <= rank[b] ? a : b);
