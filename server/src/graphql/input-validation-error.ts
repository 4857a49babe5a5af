/** One failed rule of an input, e.g. `{ path: 'input.name', message: 'too long' }`. */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** Input refused by a field's `validate` schema; returned as a union member of every mutation. */
export class InputValidationError extends Error {
  readonly code = 'INVALID_INPUT';
  readonly issues: readonly InputIssue[];
  constructor(issues: ReadonlyArray<StandardIssue>) {
    const mapped = issues.map((issue) => ({
      path: (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.'),
      message: issue.message,
    }));
    super(mapped.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ') || 'Invalid input');
    this.name = 'InputValidationError';
    this.issues = mapped;
  }
}
