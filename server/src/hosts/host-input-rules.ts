import { InputValidationError } from '../graphql/input-validation-error.ts';
import { isValidDescription } from './description-rule.ts';
import { InvalidHostNameError, InvalidMacError } from './host-errors.ts';
import { isValidHostName } from './host-name.ts';
import { parseMac } from './mac-address.ts';

/** More than this many NICs on one host is a typo or an attack, not a machine. */
export const MAX_MACS_PER_HOST = 32;

/** Normalizes a list of MACs (duplicates after normalization collapse) or throws `InvalidMacError`. */
export function normalizeMacList(inputs: readonly string[]): string[] {
  if (inputs.length === 0) throw new InvalidMacError('', 'NONE');
  if (inputs.length > MAX_MACS_PER_HOST) {
    throw new InputValidationError([
      { path: ['input', 'macs'], message: `at most ${MAX_MACS_PER_HOST} MACs` },
    ]);
  }
  const macs: string[] = [];
  for (const input of inputs) {
    const parsed = parseMac(input);
    if (!parsed.ok) throw new InvalidMacError(input, parsed.reason);
    if (!macs.includes(parsed.mac)) macs.push(parsed.mac);
  }
  return macs;
}

export function checkHostName(name: string): string {
  if (!isValidHostName(name)) throw new InvalidHostNameError(name);
  return name;
}

/** Throws the generic input error for a description with control characters or too long. */
export function checkDescription(text: string, field = 'description'): string {
  if (!isValidDescription(text)) {
    throw new InputValidationError([
      { path: ['input', field], message: 'at most 2000 characters, no control characters' },
    ]);
  }
  return text;
}

/** Optional short free text (disk hints, serials): bounded, printable. */
export function checkShortText(text: string | null, field: string, max = 128): string | null {
  if (text === null) return null;
  if (text.length > max || !isValidDescription(text)) {
    throw new InputValidationError([
      { path: ['input', field], message: `at most ${max} printable characters` },
    ]);
  }
  return text;
}
