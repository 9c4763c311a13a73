// drizzle-kit configuration: `npm run db:generate` writes a new migration to ./drizzle
// after a change to src/store/schema.ts. Migrations are applied at start (src/store/database.ts).
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/server/src/store/schema.ts',
  out: './packages/server/drizzle',
  casing: 'snake_case',
});
