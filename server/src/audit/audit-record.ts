import { errorTypeMap } from '@pothos/plugin-errors';
import { GraphQLError } from 'graphql';
import type { Context } from '../graphql/context.ts';
import type { AuditRecord } from './audit-service.ts';

const secretKey = /pass(word)?|token|secret|credential|authorization/i;
const idKey = /^(id|ids|[a-z]+Ids?)$/;
const maxString = 200;
const maxItems = 50;

/** A copy of the arguments that is safe to keep forever: secrets replaced, sizes bounded. */
export function redactInput(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[DEEP]';
  if (typeof value === 'string') return value.length > maxString ? `${value.slice(0, maxString)}…` : value;
  if (Array.isArray(value)) return value.slice(0, maxItems).map((v) => redactInput(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = secretKey.test(key) ? '[REDACTED]' : redactInput(v, depth + 1);
    }
    return out;
  }
  return value;
}

/** Ids named in the arguments (`id`, `hostId`, `hostIds`, ... at the top or inside `input`). */
export function targetIdsOf(args: Record<string, unknown>): string[] {
  const ids: string[] = [];
  const collect = (obj: unknown) => {
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return;
    for (const [key, v] of Object.entries(obj)) {
      if (!idKey.test(key)) continue;
      for (const item of Array.isArray(v) ? v : [v]) {
        if (typeof item === 'string' || typeof item === 'number') ids.push(String(item).slice(0, maxString));
      }
    }
  };
  collect(args);
  collect(args.input);
  return ids.slice(0, maxItems);
}

const codeOf = (err: unknown): string => {
  if (err instanceof GraphQLError && typeof err.extensions.code === 'string') return err.extensions.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
};

/** The errors plugin returns typed errors as proxies (not `instanceof Error`), registered here. */
const isReturnedError = (value: unknown): boolean =>
  value instanceof Error || (typeof value === 'object' && value !== null && errorTypeMap.has(value));

const refusalCodes = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/**
 * `allowed` is the authorization decision; `outcome` is `OK` or the error code (a typed union
 * error returned as data, a thrown error, or the refusal code).
 */
export function auditRecordOf(
  ctx: Context,
  action: string,
  args: Record<string, unknown>,
  outcome: { result?: unknown; error?: unknown },
): AuditRecord {
  let code = 'OK';
  if (outcome.error !== undefined) code = codeOf(outcome.error);
  else if (isReturnedError(outcome.result)) code = codeOf(outcome.result);
  return {
    actorUserId: ctx.viewer?.userId ?? null,
    actorTokenId: ctx.viewer?.tokenId ?? null,
    actorName: ctx.viewer?.username ?? 'anonymous',
    action,
    targetIds: targetIdsOf(args),
    input: redactInput(args),
    allowed: !refusalCodes.has(code),
    outcome: code,
    clientAddress: ctx.clientAddress,
    requestId: ctx.requestId,
  };
}
