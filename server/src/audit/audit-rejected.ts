import { type DocumentNode, Kind, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { RequestState } from '../app/request-state.ts';
import type { AuditService } from './audit-service.ts';

const maxEntriesPerDocument = 10;

function mutationFieldNames(document: DocumentNode): string[] {
  const names = new Set<string>();
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION || (def as OperationDefinitionNode).operation !== 'mutation')
      continue;
    for (const sel of (def as OperationDefinitionNode).selectionSet.selections) {
      if (sel.kind === Kind.FIELD) names.add(sel.name.value);
    }
  }
  return [...names].slice(0, maxEntriesPerDocument);
}

/**
 * A mutation document that fails validation (unknown field or argument, limits) never reaches a
 * resolver, so the Mutation wrapper cannot see it: record it here, one entry per named field.
 */
export function useAuditRejectedMutations(
  stateOf: (initial: Record<string, unknown>) => RequestState | undefined,
  audit: AuditService,
  log: Logger,
): Plugin {
  return {
    onValidate({ context, params }) {
      return ({ valid, result }) => {
        if (valid) return;
        const actions = mutationFieldNames(params.documentAST);
        if (actions.length === 0) return;
        const state = stateOf(context as Record<string, unknown>);
        const code = String(result[0]?.extensions?.code ?? 'GRAPHQL_VALIDATION_FAILED');
        for (const action of actions) {
          audit
            .append({
              actorUserId: state?.viewer?.userId ?? null,
              actorTokenId: state?.viewer?.tokenId ?? null,
              actorName: state?.viewer?.username ?? 'anonymous',
              action,
              targetIds: [],
              input: null,
              allowed: false,
              outcome: code,
              clientAddress: state?.clientAddress ?? null,
              requestId: state?.requestId ?? null,
            })
            .catch((err: unknown) => log.error({ err, action }, 'audit entry lost'));
        }
      };
    },
  };
}
