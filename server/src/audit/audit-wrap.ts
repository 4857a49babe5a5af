import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import type { Context } from '../graphql/context.ts';
import { auditRecordOf } from './audit-record.ts';

/**
 * Wraps every Mutation field, outermost (outside Pothos' auth and error wrappers), so each call,
 * allowed or refused, appends exactly one audit entry. Domains write nothing per mutation.
 */
export function wrapMutationsWithAudit(schema: GraphQLSchema): void {
  const mutation = schema.getMutationType();
  if (!mutation) return;
  for (const field of Object.values(mutation.getFields())) {
    const inner: GraphQLFieldResolver<unknown, Context> = field.resolve ?? defaultFieldResolver;
    const action = field.name;
    field.resolve = async (source, args: Record<string, unknown>, ctx: Context, info) => {
      let outcome: { result?: unknown; error?: unknown };
      try {
        outcome = { result: await inner(source, args, ctx, info) };
      } catch (error) {
        outcome = { error };
      }
      try {
        await ctx.services.audit.append(auditRecordOf(ctx, action, args, outcome));
      } catch (err) {
        // The change (if any) is done; failing the response would lie about it. Logged loudly instead.
        ctx.log.error({ err, action }, 'audit entry lost');
      }
      if ('error' in outcome) throw outcome.error;
      return outcome.result;
    };
  }
}
