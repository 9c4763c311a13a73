// Helpers shared by the repositories: multi-row writes and the row → document mapping.
import { randomUUID } from 'node:crypto';
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Database, Db } from './database.ts';
import { toEarshotError } from './database-errors.ts';

/** A column's SQL name: drizzle keeps the TypeScript key when snake_case casing applies. */
function sqlName(key: string, column: PgColumn): string {
  const name = column.keyAsName
    ? key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
    : column.name;
  return `"${name}"`;
}

/**
 * Inserts many rows in ONE statement whatever their number: the rows travel as one JSON
 * parameter, `INSERT ... SELECT ... FROM json_to_recordset($1::json) AS u("_id" uuid, ...)`,
 * each column read by its document key. Building a multi-row VALUES list through the query
 * builder costs ~35 µs a row in JavaScript (docs/decisions/0004-unnest-batch-insert.md); one
 * JSON.stringify of the batch costs a few. One statement is atomic, so a batch lands whole or
 * not at all.
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
  try {
    await db.execute(insertStatement(table, complete, options));
  } catch (error) {
    throw toEarshotError(error);
  }
  return complete as T['$inferSelect'][];
}

/** A table's columns as the JSON insert needs them, worked out once per table. */
interface ColumnPlan {
  /** The columns to write, in SQL names. */
  head: string;
  /** Each column read from the recordset by its document key. */
  selectList: string;
  /** The column definition list of json_to_recordset: document key and SQL type. */
  recordset: string;
  upsert: string;
}
const plans = new WeakMap<PgTable, ColumnPlan>();

function planOf(table: PgTable): ColumnPlan {
  let plan = plans.get(table);
  if (plan) return plan;
  const columns = Object.entries(getTableColumns(table)) as Array<[string, PgColumn]>;
  const names = columns.map(([key, column]) => sqlName(key, column));
  plan = {
    head: names.join(', '),
    selectList: columns.map(([key]) => `u."${key}"`).join(', '),
    recordset: columns.map(([key, column]) => `"${key}" ${column.getSQLType()}`).join(', '),
    upsert: ` on conflict ("id") do update set ${names
      .filter((name) => name !== '"id"' && name !== '"creation_time"')
      .map((name) => `${name} = excluded.${name}`)
      .join(', ')}`,
  };
  plans.set(table, plan);
  return plan;
}

/**
 * The insert of complete rows (`_id` and `_creationTime` set), as a statement to run alone or
 * to put in a WITH list beside others (see MutationStore.commit). A key the table has no
 * column for is ignored; a missing one is NULL.
 */
export function insertStatement(
  table: PgTable,
  rows: ReadonlyArray<Record<string, unknown>>,
  /**
   * upsert: replace a row whose `_id` exists. keepExisting: the columns that identify a row
   * (`'"id"'`); one that exists is left as it is and the new one skipped.
   */
  options: { upsert?: boolean; keepExisting?: string } = {},
): SQL {
  const plan = planOf(table);
  const conflict = options.upsert
    ? plan.upsert
    : options.keepExisting
      ? ` on conflict (${options.keepExisting}) do nothing`
      : '';
  return sql`insert into ${table} (${sql.raw(plan.head)}) select ${sql.raw(plan.selectList)} from json_to_recordset(${sql.param(JSON.stringify(rows))}::json) as u(${sql.raw(plan.recordset)})${sql.raw(conflict)}`;
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

/**
 * More writes to commit with a change, given its result: an audit entry, say. They run in the
 * change's own transaction, so both commit or neither does.
 */
export type AlsoWrite<T> = (tx: Db, result: T) => Promise<void>;

/**
 * Runs `write`, and `also` with its result, in one transaction (without `also`, no transaction
 * is opened). Anything slow that needs no database (a password hash) belongs before this, so
 * that the transaction is held only for the writes.
 */
export async function writeWith<T>(
  database: Pick<Database, 'db' | 'transaction'>,
  write: (db: Db) => Promise<T>,
  also: AlsoWrite<T> | undefined,
): Promise<T> {
  if (!also) return write(database.db);
  return query(() =>
    database.transaction(async (tx) => {
      const result = await write(tx);
      await also(tx, result);
      return result;
    }),
  );
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
