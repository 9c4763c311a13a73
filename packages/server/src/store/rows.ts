// Helpers shared by the repositories: multi-row writes and the row → document mapping.
import { randomUUID } from 'node:crypto';
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './database.ts';
import { toEarshotError } from './database-errors.ts';

/** A column's SQL name: drizzle keeps the TypeScript key when snake_case casing applies. */
function sqlName(key: string, column: PgColumn): string {
  const name = column.keyAsName
    ? key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
    : column.name;
  return `"${name}"`;
}

/**
 * Inserts many rows in ONE statement whatever their number:
 * `INSERT ... SELECT * FROM unnest($1::uuid[], $2::text[], ...)`, one array parameter per
 * column. Building a multi-row VALUES list through the query builder costs ~35 µs a row in
 * JavaScript (measured: bench/store-write.bench.ts, docs/decisions/0005-unnest-batch-insert.md);
 * this costs a few. One statement is atomic, so a batch lands whole or not at all.
 *
 * `_id` and `_creationTime` are assigned here rather than by the database, so nothing is
 * read back (no RETURNING): the caller gets the documents exactly as written.
 * @example
 * const stored = await insertMany(db, liveTranscripts, chunks, Date.now());
 */
export async function insertMany<T extends PgTable>(
  db: Db,
  table: T,
  rows: readonly Omit<T['$inferInsert'], '_id' | '_creationTime'>[],
  now: number = Date.now(),
  /** Replace rows whose `_id` exists (every other column takes the new value). */
  options: { upsert?: boolean } = {},
): Promise<T['$inferSelect'][]> {
  if (rows.length === 0) return [];
  const complete = rows.map((row) => ({ _id: randomUUID(), _creationTime: now, ...row })) as Array<
    Record<string, unknown>
  >;
  const columns = Object.entries(getTableColumns(table)) as Array<[string, PgColumn]>;
  const names = columns.map(([key, column]) => sqlName(key, column));
  const arrays = columns.map(([key, column]) => {
    const json = column.getSQLType() === 'jsonb';
    // JSON travels as text and is cast back in the SELECT list: drivers differ on jsonb[].
    return sql`${sql.param(complete.map((row) => (row[key] == null ? null : json ? JSON.stringify(row[key]) : row[key])))}::${sql.raw(json ? 'text' : column.getSQLType())}[]`;
  });
  const selected = columns.map(([, column], i) =>
    column.getSQLType() === 'jsonb' ? `u.c${i}::jsonb` : `u.c${i}`,
  );
  const aliases = columns.map((_, i) => `c${i}`).join(', ');
  const onConflict = options.upsert
    ? ` on conflict ("id") do update set ${names
        .filter((name) => name !== '"id"' && name !== '"creation_time"')
        .map((name) => `${name} = excluded.${name}`)
        .join(', ')}`
    : '';
  try {
    await db.execute(
      sql`insert into ${table} (${sql.raw(names.join(', '))}) select ${sql.raw(selected.join(', '))} from unnest(${sql.join(arrays, sql`, `)}) as u(${sql.raw(aliases)})${sql.raw(onConflict)}`,
    );
  } catch (error) {
    throw toEarshotError(error);
  }
  return complete as T['$inferSelect'][];
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
