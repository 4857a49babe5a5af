import { handleStreamOrSingleExecutionResult } from '@envelop/core';
import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../graphql/context.ts';

export const maskedMessage = 'Unexpected error';

/** A GraphQLError raised on purpose (auth, limits, scalars) carries no non-GraphQL original. */
const isExpected = (error: GraphQLError): boolean =>
  error.originalError === undefined ||
  error.originalError === null ||
  error.originalError instanceof GraphQLError;

/**
 * Errors we raise on purpose pass through. Anything else is a bug or an outage: logged with the
 * request id, answered with a generic message carrying that id (and the cause only in development).
 */
export function useErrorMasking(isDev: boolean): Plugin<Context> {
  const mask = (result: ExecutionResult, ctx: Context): ExecutionResult => {
    if (!result.errors?.some((e) => !isExpected(e))) return result;
    const errors = result.errors.map((error) => {
      if (isExpected(error)) return error.originalError instanceof GraphQLError ? error.originalError : error;
      ctx.log.error({ err: error.originalError, path: error.path }, 'unexpected error');
      return new GraphQLError(maskedMessage, {
        nodes: error.nodes,
        path: error.path,
        extensions: {
          code: 'INTERNAL_SERVER_ERROR',
          requestId: ctx.requestId,
          ...(isDev ? { originalMessage: error.originalError?.message } : {}),
        },
      });
    });
    return { ...result, errors };
  };
  const hooks = ({ args }: { args: { contextValue: unknown } }) => ({
    onExecuteDone: (payload: Parameters<typeof handleStreamOrSingleExecutionResult>[0]) =>
      handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
        setResult(mask(result, args.contextValue as Context));
      }),
  });
  return {
    onExecute: hooks,
    onSubscribe: ({ args }) => ({
      onSubscribeResult: (payload) =>
        handleStreamOrSingleExecutionResult(payload as never, ({ result, setResult }) => {
          setResult(mask(result, args.contextValue as Context));
        }),
      onSubscribeError: () => {},
    }),
  };
}
