import { Repeater } from '@repeaterjs/repeater';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from './context.ts';

export interface SubscriptionGuardOptions {
  /** How often a stream re-checks that its token is still valid. */
  readonly recheckMs: number;
  readonly isTokenActive: (tokenId: string) => Promise<boolean>;
  readonly onOpen?: () => void;
  readonly onClose?: () => void;
}

const revokedResult = () => ({
  errors: [new GraphQLError('Token no longer valid', { extensions: { code: 'UNAUTHENTICATED' } })],
});

/**
 * Wraps every subscription stream (graphql-ws and SSE alike): counts it, and ends it with an
 * UNAUTHENTICATED error once its token is revoked, expired or its user disabled.
 */
export function useSubscriptionGuard(options: SubscriptionGuardOptions): Plugin<Context> {
  return {
    onSubscribe({ args }) {
      const tokenId = (args.contextValue as Context).viewer?.tokenId;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!(Symbol.asyncIterator in result)) return;
          setResult(guard(result, tokenId, options) as typeof result);
        },
      };
    },
  };
}

function guard<T>(source: AsyncIterable<T>, tokenId: string | undefined, options: SubscriptionGuardOptions) {
  return new Repeater<T | ReturnType<typeof revokedResult>>(async (push, stop) => {
    options.onOpen?.();
    const iterator = source[Symbol.asyncIterator]();
    const timer = tokenId
      ? setInterval(async () => {
          if (await options.isTokenActive(tokenId).catch(() => true)) return;
          await push(revokedResult());
          stop();
        }, options.recheckMs)
      : undefined;
    timer?.unref();
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), stop.then(() => null)]);
        if (next === null || next.done) break;
        await push(next.value);
      }
    } finally {
      clearInterval(timer);
      await iterator.return?.();
      options.onClose?.();
      stop();
    }
  });
}
