/**
 * The name of the unique constraint a failed statement broke, or undefined when the error is
 * anything else. Walks `cause` because drizzle wraps driver errors; PGlite names the field
 * `constraint`, postgres.js `constraint_name`. Used to turn a lost race into a typed error.
 */
export function uniqueViolation(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const e = current as { code?: unknown; constraint?: unknown; constraint_name?: unknown; cause?: unknown };
    if (e.code === '23505') {
      const name = e.constraint ?? e.constraint_name;
      return typeof name === 'string' ? name : '';
    }
    current = e.cause;
  }
  return undefined;
}

/** Escapes `%`, `_` and `\` so user text is matched literally by LIKE / ILIKE. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Our ids are UUIDs; anything else (a forged global id) must match nothing, not reach SQL as a cast error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export const onlyUuids = (ids: readonly string[]): string[] => ids.filter(isUuid);
