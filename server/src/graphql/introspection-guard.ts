import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Viewer } from './context.ts';

/** Introspection (and so schema discovery) only for authenticated callers. */
export function useIntrospectionForAuthenticated(
  viewerOf: (initialContext: Record<string, unknown>) => Viewer | null,
): Plugin {
  return {
    onValidate({ context, addValidationRule }) {
      if (viewerOf(context as Record<string, unknown>) === null) {
        addValidationRule(NoSchemaIntrospectionCustomRule);
      }
    },
  };
}
