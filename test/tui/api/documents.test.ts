/**
 * Every document the TUI sends is valid against the committed `schema.graphql` (the contract):
 * a field renamed on the server fails here, not on an operator's screen.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ALL_DOCUMENTS } from '../../../tui/src/api/documents.ts';

const file = fileURLToPath(new URL('../../../schema.graphql', import.meta.url));
const sdl = existsSync(file) ? readFileSync(file, 'utf8') : '';
const hasApi = /\btype Host implements/.test(sdl);

describe.skipIf(!hasApi)('TUI documents against schema.graphql', () => {
  const schema = buildSchema(sdl);
  for (const [name, doc] of Object.entries(ALL_DOCUMENTS)) {
    it(`${name} validates`, () => {
      expect(validate(schema, doc).map((e) => e.message)).toEqual([]);
    });
  }
});
