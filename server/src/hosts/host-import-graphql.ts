import { builder } from '../graphql/builder.ts';
import { defineErrorType } from '../graphql/errors.ts';
import {
  HOST_IMPORT_COLUMNS,
  HostImportError,
  type HostImportProblem,
  type HostImportResult,
  MAX_IMPORT_ROWS,
} from './host-import.ts';
import { HostRef } from './hosts-graphql-types.ts';

const HostImportProblemRef = builder.objectRef<HostImportProblem>('HostImportProblem').implement({
  authScopes: { operator: true },
  fields: (t) => ({
    line: t.exposeInt('line', {
      description: 'The line of the file (1: the header; 0: the file as a whole).',
    }),
    message: t.exposeString('message'),
  }),
});

defineErrorType(HostImportError, 'HostImportError', (t) => ({
  problems: t.field({ type: [HostImportProblemRef], resolve: (e) => [...e.problems] }),
}));

const ImportHostsInput = builder.inputType('ImportHostsInput', {
  fields: (t) => ({
    csv: t.string({
      description: `The file: a header naming its columns among ${HOST_IMPORT_COLUMNS.join(', ')} (mac and name required), then one host a line. Several MACs: separated by | or ;. Groups (existing ones): separated by ;. At most ${MAX_IMPORT_ROWS} hosts, 1 MiB.`,
    }),
    dryRun: t.boolean({
      required: false,
      description: 'Check only: says what would be imported, writes nothing.',
    }),
  }),
});

builder.queryField('hostsCsv', (t) =>
  t.string({
    authScopes: { viewer: true },
    description:
      'The approved hosts as a CSV file in the form importHosts takes (mac, name, description, groups): a round trip moves them to another server.',
    resolve: (_r, _a, ctx) => ctx.services.hosts.exportHostsCsv(),
  }),
);

builder.mutationField('importHosts', (t) =>
  t.field({
    type: builder.objectRef<HostImportResult>('ImportHostsSuccess').implement({
      authScopes: { operator: true },
      fields: (f) => ({
        dryRun: f.exposeBoolean('dryRun'),
        rows: f.exposeInt('rows', { description: 'Hosts in the file (what a dry run would import).' }),
        hosts: f.field({
          type: [HostRef],
          description: 'The hosts made, in the file order; none on a dry run.',
          resolve: (r) => [...r.hosts],
        }),
      }),
    }),
    authScopes: { operator: true },
    description:
      "FOG's Import Hosts: every host of a CSV file, or none when any line has a problem (all are listed).",
    errors: { types: [HostImportError] },
    args: { input: t.arg({ type: ImportHostsInput }) },
    resolve: (_r, { input }, ctx) => ctx.services.hosts.importHosts(input.csv, input.dryRun ?? false),
  }),
);
