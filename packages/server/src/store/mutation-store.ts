// Commits the engine's mutations: whole documents upserted by `_id`, every table's rows in
// one statement. Used by the write-behind service; nothing else writes live call data.
import { WRITE_ORDER, type Mutation, type WritableTable } from '@earshot/engine';
import { sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from './database.ts';
import { toEarshotError } from './database-errors.ts';
import { insertStatement } from './rows.ts';
import * as schema from './schema.ts';

const TABLES: Record<WritableTable, PgTable> = {
  liveCalls: schema.liveCalls,
  liveTranscripts: schema.liveTranscripts,
  callObjectives: schema.callObjectives,
  nextActions: schema.nextActions,
  livePerformanceMetrics: schema.livePerformanceMetrics,
  supervisorActions: schema.supervisorActions,
  coachingRecommendations: schema.coachingRecommendations,
  callPhases: schema.callPhases,
  callSystemConfig: schema.callSystemConfig,
  sentimentAnalysis: schema.sentimentAnalysis,
  callEvents: schema.callEvents,
  callRedactionPolicies: schema.callRedactionPolicies,
  outbox: schema.outbox,
  callAnnotations: schema.callAnnotations,
  callAnalytics: schema.callAnalytics,
  transcriptArchive: schema.transcriptArchive,
  auditLog: schema.auditLog,
};

/**
 * Tables whose rows are never changed once written, by the columns that identify a row: a
 * row that exists already (a commit retried after its reply was lost) is left as it is. The
 * audit log's trigger refuses any UPDATE, which an upsert of an existing row would be.
 */
const APPEND_ONLY: Partial<Record<WritableTable, string>> = {
  auditLog: '"id"',
  callEvents: '"live_call_id", "seq"',
  callRedactionPolicies: '"live_call_id"',
};

/** What identifies a row: its `_id`, or for an event record its call and seq. */
function keyOf(mutation: Mutation): string {
  if (mutation.table === 'callEvents') return `${mutation.doc.liveCallId}:${mutation.doc.seq}`;
  if (mutation.table === 'callRedactionPolicies') return mutation.doc.liveCallId;
  return mutation.doc._id;
}

/**
 * Keeps the last version of each document, grouped by table in write order (parents first).
 * @example
 * coalesce([{ table: 'liveCalls', doc: v1 }, { table: 'liveCalls', doc: v2 }]) // → liveCalls: [v2]
 */
export function coalesce(mutations: readonly Mutation[]): Array<[WritableTable, object[]]> {
  const byTable = new Map<WritableTable, Map<string, object>>();
  for (const mutation of mutations) {
    let docs = byTable.get(mutation.table);
    if (!docs) byTable.set(mutation.table, (docs = new Map()));
    docs.set(keyOf(mutation), mutation.doc);
  }
  return WRITE_ORDER.flatMap((table) => {
    const docs = byTable.get(table);
    return docs ? [[table, [...docs.values()]] as [WritableTable, object[]]] : [];
  });
}

export class MutationStore {
  constructor(private readonly database: Database) {}

  /**
   * Writes every mutation in ONE statement: each table's upsert is a data-modifying WITH
   * entry of the last one, so the batch lands whole or not at all, and foreign keys are
   * checked once the whole statement has run (parents and children may come together).
   * One round trip per commit instead of one per table plus BEGIN and COMMIT: on a busy
   * server each round trip waits for a turn of the event loop.
   */
  async commit(mutations: readonly Mutation[]): Promise<void> {
    const groups = coalesce(mutations);
    if (groups.length === 0) return;
    const statements = groups.map(([table, docs]) =>
      insertStatement(
        TABLES[table],
        docs as Array<Record<string, unknown>>,
        APPEND_ONLY[table] ? { keepExisting: APPEND_ONLY[table] } : { upsert: true },
      ),
    );
    const last = statements.pop()!;
    const statement =
      statements.length === 0
        ? last
        : sql`with ${sql.join(
            statements.map((entry, i) => sql`${sql.raw(`w${i}`)} as (${entry})`),
            sql`, `,
          )} ${last}`;
    try {
      await this.database.db.execute(statement);
    } catch (error) {
      throw toEarshotError(error);
    }
  }
}
