// Runs a suite against both databases Earshot supports: PGlite (in memory) and PostgreSQL
// (a fresh database per suite, dropped afterwards). Without a PostgreSQL server the
// PostgreSQL half is skipped with a message, except in CI, where its absence is a failure.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { openStore, type Store } from '../../src/store/index.ts';

/** The server the PostgreSQL suites create their databases on. */
export const TEST_POSTGRES_URL =
  process.env.EARSHOT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({
    connectionString: TEST_POSTGRES_URL,
    connectionTimeoutMillis: 2_000,
  });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const postgresProblem = await probePostgres();
if (postgresProblem && process.env.CI) {
  throw new Error(
    `CI requires PostgreSQL at ${TEST_POSTGRES_URL} (set EARSHOT_TEST_POSTGRES_URL): ${postgresProblem}`,
  );
}
if (postgresProblem) {
  console.warn(
    `[earshot] PostgreSQL suites skipped: no server at ${TEST_POSTGRES_URL} (${postgresProblem}). ` +
      'Start PostgreSQL or set EARSHOT_TEST_POSTGRES_URL to run them.',
  );
}
export const postgresAvailable = postgresProblem === undefined;

/** A new, empty PostgreSQL database and a function that drops it. */
export async function createPostgresDatabase(): Promise<{
  url: string;
  drop: () => Promise<void>;
}> {
  const name = `earshot_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export type DatabaseKind = 'pglite' | 'postgres';
export const DATABASE_KINDS: DatabaseKind[] = ['pglite', 'postgres'];

/** Opens a migrated store on a new, empty database of the given kind. */
export async function openTestStore(
  kind: DatabaseKind,
): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (kind === 'pglite') {
    const store = await openStore({ kind: 'pglite', dataDir: undefined });
    return { store, cleanup: () => store.close() };
  }
  const database = await createPostgresDatabase();
  const store = await openStore({ kind: 'postgres', url: database.url });
  return {
    store,
    async cleanup() {
      await store.close();
      await database.drop();
    },
  };
}

/**
 * Declares the same suite once per database. The body gets a function returning the
 * suite's store (opened in beforeAll, closed in afterAll).
 * @example
 * describeEachDatabase('campaigns', (store) => { it('creates', async () => { await store().campaigns.create(...) }) })
 */
export function describeEachDatabase(
  name: string,
  body: (store: () => Store, kind: DatabaseKind) => void,
): void {
  for (const kind of DATABASE_KINDS) {
    describe.skipIf(kind === 'postgres' && !postgresAvailable)(`${name} [${kind}]`, () => {
      let opened: { store: Store; cleanup: () => Promise<void> } | undefined;
      beforeAll(async () => {
        opened = await openTestStore(kind);
      });
      afterAll(async () => {
        await opened?.cleanup();
      });
      body(() => {
        if (!opened) throw new Error('store not open yet');
        return opened.store;
      }, kind);
    });
  }
}
