import { defineConfig } from 'drizzle-kit';

// One config for both drivers; `generate` needs no connection. Column names are snake_case through
// `snakeCase.table` in the table files' pgTable calls (drizzle 1.0 ignores `casing` here).
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/src/db/schema.ts',
  out: './drizzle',
});
