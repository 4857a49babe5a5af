import type { ObjectFieldsShape } from '@pothos/core';
import { builder } from './builder.ts';
import { InputValidationError } from './input-validation-error.ts';

export { BrumeError } from './brume-error.ts';

/** `interface Error { message: String! }`: every error type in a mutation union implements it. */
export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  fields: (t) => ({ message: t.exposeString('message') }),
});

type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never;

// biome-ignore lint/suspicious/noExplicitAny: Pothos error classes take arbitrary constructor args.
type ErrorClass<T extends Error> = new (...args: any[]) => T;

/**
 * Registers an error class as a GraphQL object implementing `Error`. Errors are readable by anyone
 * who could call the field that returns them, hence the `public` type scope.
 *   defineErrorType(DuplicateHostNameError, 'DuplicateHostNameError', (t) => ({ name: t.exposeString('name') }))
 */
export function defineErrorType<T extends Error>(
  errorClass: ErrorClass<T>,
  name: string,
  fields?: ObjectFieldsShape<BuilderTypes, T>,
) {
  // A generic T defeats Pothos' shape inference here; each caller's field map is still checked against T.
  const options = {
    name,
    interfaces: [ErrorInterface],
    authScopes: { public: true },
    fields: fields ?? (() => ({})),
  };
  return builder.objectType(errorClass as ErrorClass<Error>, options as never);
}

const InputIssueRef = builder.objectRef<{ path: string; message: string }>('InputIssue').implement({
  authScopes: { public: true },
  fields: (t) => ({
    path: t.exposeString('path', { description: 'Dotted path of the offending input field.' }),
    message: t.exposeString('message'),
  }),
});

builder.objectType(InputValidationError, {
  name: 'InputValidationError',
  interfaces: [ErrorInterface],
  authScopes: { public: true },
  fields: (t) => ({
    issues: t.field({ type: [InputIssueRef], resolve: (e) => [...e.issues] }),
  }),
});

export { InputValidationError };
