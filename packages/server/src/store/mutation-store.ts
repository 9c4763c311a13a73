// Commits the engine's mutations: whole documents upserted by `_id`, many per statement, all
// in one transaction. Used by the write-behind service; nothing else writes live call data.
import { WRITE_ORDER, type Mutation, type WritableTable } from '@earshot/engine';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from './database.ts';
import { toEarshotError } from './database-errors.ts';
import { insertMany } from './rows.ts';
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
  outbox: schema.outbox,
  callAnnotations: schema.callAnnotations,
  callAnalytics: schema.callAnalytics,
  transcriptArchive: schema.transcriptArchive,
};

/**
 * Keeps the last version of each document, grouped by table in write order (parents first).
 * @example
 * coalesce([{ table: 'liveCalls', doc: v1 }, { table: 'liveCalls', doc: v2 }]) // → liveCalls: [v2]
 */
export function coalesce(mutations: readonly Mutation[]): Array<[WritableTable, object[]]> {
  const byTable = new Map<WritableTable, Map<string, object>>();
  for (const { table, doc } of mutations) {
    let docs = byTable.get(table);
    if (!docs) byTable.set(table, (docs = new Map()));
    docs.set(doc._id, doc);
  }
  return WRITE_ORDER.flatMap((table) => {
    const docs = byTable.get(table);
    return docs ? [[table, [...docs.values()]] as [WritableTable, object[]]] : [];
  });
}

export class MutationStore {
  constructor(private readonly database: Database) {}

  /** Writes every mutation in one transaction: all of them or none. */
  async commit(mutations: readonly Mutation[]): Promise<void> {
    const groups = coalesce(mutations);
    if (groups.length === 0) return;
    try {
      await this.database.transaction(async (tx) => {
        for (const [table, docs] of groups) {
          await insertMany(tx, TABLES[table], docs as never[], undefined, { upsert: true });
        }
      });
    } catch (error) {
      throw toEarshotError(error);
    }
  }
}
