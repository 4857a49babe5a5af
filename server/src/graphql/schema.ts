import type { GraphQLSchema } from 'graphql';
import { wrapMutationsWithAudit } from '../audit/audit-wrap.ts';
import { builder } from './builder.ts';
import { assertEveryFieldScoped } from './scope-check.ts';
// Side-effect imports: each registers its types and fields on the builder.
// A domain adds ONE line here for its `<domain>-graphql.ts` (or an index of its graphql files).
import './errors.ts';
import '../auth/auth-graphql.ts';
import '../audit/audit-graphql.ts';
import '../hosts/hosts-graphql.ts';
import '../groups/groups-graphql.ts';
import '../images/images-graphql.ts';
import '../tasks/tasks-graphql.ts';
import '../transfer/transfer-graphql.ts';
import '../multicast/multicast-graphql.ts';
import '../storage/storage-graphql.ts';
import '../schedules/schedules-graphql.ts';
import '../replication/replication-graphql.ts';
import '../webhooks/webhooks-graphql.ts';

let built: GraphQLSchema | undefined;

/** The executable schema: every field scoped (checked), every mutation audited (wrapped). */
export function buildSchema(): GraphQLSchema {
  if (built) return built;
  const schema = builder.toSchema();
  assertEveryFieldScoped(schema);
  wrapMutationsWithAudit(schema);
  built = schema;
  return schema;
}
