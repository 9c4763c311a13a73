// Opens the one database Earshot runs on: PostgreSQL when a DATABASE_URL is given, otherwise
// PGlite (PostgreSQL compiled to WASM) in a local data directory, on a thread of its own
// (pglite-thread.ts). Both get the same drizzle schema, the same migrations, the same driver
// and the same query layer; callers never ask which one it is.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { isUnavailable } from './database-errors.ts';
import { startPgliteThread } from './pglite-thread.ts';
import * as schema from './schema.ts';

export type Schema = typeof schema;
/** The drizzle handle every repository takes; the same type for PGlite and PostgreSQL. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Any two processes migrating one PostgreSQL database take turns on this advisory lock. */
const MIGRATION_LOCK_KEY = 0x4561_7273; // "Ears"

export type DatabaseTarget =
  | { kind: 'pglite'; dataDir: string | undefined }
  | { kind: 'postgres'; url: string; poolSize?: number };

export interface Database {
  readonly kind: DatabaseTarget['kind'];
  readonly db: Db;
  /** Applies every migration not yet applied; a no-op on an up-to-date database. */
  migrate(): Promise<void>;
  /** True when a trivial query succeeds. */
  ping(): Promise<boolean>;
  /**
   * Runs `work` in one transaction. Prefer this to `db.transaction`: on PostgreSQL it always
   * returns its connection to the pool, also when the connection died before BEGIN (drizzle's
   * pool transaction leaks the client then, and a later pool.end() waits for it forever).
   */
  transaction<T>(work: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Runs `work` in a transaction holding a named lock that every Earshot process sharing the
   * database respects. Resolves to undefined, without running it, when another holds the lock.
   */
  withLock<T>(name: string, work: (db: Db) => Promise<T>): Promise<T | undefined>;
  /** Settles if the embedded database's thread dies; never for PostgreSQL. */
  readonly lost: Promise<Error>;
  /** The embedded database's thread (a test ends it to check a crash is handled). */
  readonly thread?: Worker;
  close(): Promise<void>;
}

/**
 * @example
 * const database = await openDatabase({ kind: 'pglite', dataDir: './.earshot/data' });
 * await database.migrate();
 */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return target.kind === 'postgres'
    ? openPostgres(target.url, target.poolSize)
    : openPglite(target.dataDir);
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  // No data directory (or memory://) means in memory: a throwaway database.
  const inMemory = !dataDir || dataDir.startsWith('memory://');
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  const thread = await startPgliteThread(inMemory ? undefined : dataDir);
  // One connection: PGlite is one backend, and a second client's statements would land
  // inside the first one's transaction. Kept open (no idle timeout): it costs nothing.
  const pool = new pg.Pool({ ...thread.connection, max: 1, idleTimeoutMillis: 0 });
  const database = overPool(pool, 'pglite', thread.lost, async () => {
    await pool.end();
    await thread.close();
  });
  return { ...database, thread: thread.worker };
}

async function openPostgres(url: string, poolSize = 10): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
  });
  return overPool(pool, 'postgres', new Promise<Error>(() => undefined), () => pool.end());
}

/** A Database over a node-postgres pool, of PostgreSQL or of the embedded database's thread. */
function overPool(
  pool: pg.Pool,
  kind: DatabaseTarget['kind'],
  lost: Promise<Error>,
  close: () => Promise<void>,
): Database {
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => undefined);
  // The same for a checked-out client between queries: its pending query rejects, and the
  // write-behind reports the outage; the event itself must not crash the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzlePostgres(pool, { schema, casing: 'snake_case' }) as unknown as Db;

  async function transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      // A drizzle handle over this one client; its transaction never touches the pool.
      const single = drizzlePostgres(client, { casing: 'snake_case' }) as unknown as Db;
      return await single.transaction((tx) => work(tx as unknown as Db));
    } catch (error) {
      // A connection that failed is discarded rather than handed to the next caller.
      if (isUnavailable(error)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  const common = { kind, db, ping: () => ping(db), transaction, lost, close };
  if (kind === 'pglite') {
    return {
      ...common,
      // One process owns a PGlite directory, and its one connection serialises everything:
      // neither migrating nor a named lock needs more than that.
      migrate: () => migratePostgres(db as never, { migrationsFolder: MIGRATIONS_FOLDER }),
      withLock: (_name, work) => transaction(work),
    };
  }
  return {
    ...common,
    async migrate() {
      const lock = await pool.connect();
      try {
        await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        await migratePostgres(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await lock
          .query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
          .catch(() => undefined);
        lock.release();
      }
    },
    withLock: (name, work) =>
      transaction(async (tx) => {
        const result = await tx.execute(
          sql`select pg_try_advisory_xact_lock(hashtext(${name})) as locked`,
        );
        const [row] = (result as unknown as { rows: Array<{ locked: boolean }> }).rows;
        return row?.locked ? work(tx as unknown as Db) : undefined;
      }),
  };
}

async function ping(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}
