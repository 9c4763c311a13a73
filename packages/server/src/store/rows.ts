// Helpers shared by the repositories: multi-row writes and the row → document mapping.
import { getTableColumns, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './database.ts';
import { toEarshotError } from './database-errors.ts';

/** PostgreSQL accepts at most 65535 bind parameters per statement; stay below it. */
const MAX_PARAMETERS = 60_000;

/** How many rows of a table fit in one INSERT. */
export function rowsPerStatement(table: PgTable): number {
  return Math.max(1, Math.floor(MAX_PARAMETERS / Object.keys(getTableColumns(table)).length));
}

/**
 * Inserts many rows with as few statements as the parameter limit allows (one for most
 * batches), inside one transaction so a batch lands whole or not at all. Returns the rows
 * as stored, in input order.
 * @example
 * const stored = await insertMany(db, liveTranscripts, chunks);
 */
export async function insertMany<T extends PgTable>(
  db: Db,
  table: T,
  rows: readonly T['$inferInsert'][],
): Promise<T['$inferSelect'][]> {
  if (rows.length === 0) return [];
  const size = rowsPerStatement(table);
  try {
    if (rows.length <= size) {
      return (await db
        .insert(table)
        .values(rows as T['$inferInsert'][])
        .returning()) as T['$inferSelect'][];
    }
    return await db.transaction(async (tx) => {
      const stored: T['$inferSelect'][] = [];
      for (let start = 0; start < rows.length; start += size) {
        const chunk = rows.slice(start, start + size) as T['$inferInsert'][];
        stored.push(...((await tx.insert(table).values(chunk).returning()) as T['$inferSelect'][]));
      }
      return stored;
    });
  } catch (error) {
    throw toEarshotError(error);
  }
}

/** A stored row as a seed document: optional fields are absent rather than null. */
export type AsDocument<Row> = {
  [K in keyof Row as null extends Row[K] ? never : K]: Row[K];
} & {
  [K in keyof Row as null extends Row[K] ? K : never]?: Exclude<Row[K], null>;
};

export function toDocument<Row extends object>(row: Row): AsDocument<Row> {
  const document: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value !== null) document[key] = value;
  }
  return document as AsDocument<Row>;
}

/** Runs a query and converts any database failure into an EarshotError. */
export async function query<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toEarshotError(error);
  }
}

/** Runs raw SQL and returns its rows; both drivers answer with `{ rows }`. */
export async function selectRows<T>(db: Db, statement: SQL): Promise<T[]> {
  const result = (await query(() => db.execute(statement))) as { rows: T[] };
  return result.rows;
}
