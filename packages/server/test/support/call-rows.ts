// Reads every row a call has in every table, for tests that compare what is stored.
import { eq, sql } from 'drizzle-orm';
import type { CallSnapshot } from '@earshot/protocol';
import type { Store } from '../../src/store/index.ts';
import * as schema from '../../src/store/schema.ts';

const DETAIL_TABLES = {
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
} as const;

export type CallRows = Record<
  'liveCalls' | keyof typeof DETAIL_TABLES,
  Array<Record<string, unknown>>
>;

/** Every live row of a call (by callId), nulls dropped. */
export async function callRows(store: Store, callId: string): Promise<CallRows> {
  const db = store.database.db;
  const calls = await db.select().from(schema.liveCalls).where(eq(schema.liveCalls.callId, callId));
  const rows = { liveCalls: calls } as unknown as CallRows;
  for (const [name, table] of Object.entries(DETAIL_TABLES)) {
    rows[name as keyof typeof DETAIL_TABLES] = calls[0]
      ? await db.select().from(table).where(eq(table.liveCallId, calls[0]._id))
      : [];
  }
  for (const list of Object.values(rows)) {
    for (const row of list)
      for (const key of Object.keys(row)) if (row[key] === null) delete row[key];
  }
  return rows;
}

/** The same rows with identities removed and each table sorted, to compare two calls' contents. */
export function comparable(rows: CallRows): Record<string, unknown[]> {
  const identity = new Set(['_id', '_creationTime', 'liveCallId', 'callId', 'sessionId']);
  return Object.fromEntries(
    Object.entries(rows).map(([table, list]) => [
      table,
      list
        .map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => !identity.has(key))))
        .map((row) => JSON.stringify(row, Object.keys(row).sort()))
        .sort(),
    ]),
  );
}

/** Total live rows across every table, to prove a refused request changed nothing. */
export async function countAllRows(store: Store): Promise<number> {
  const tables = [
    schema.liveCalls,
    ...Object.values(DETAIL_TABLES),
    schema.callAnalytics,
    schema.transcriptArchive,
    schema.campaigns,
  ];
  let total = 0;
  for (const table of tables) {
    const [row] = await store.database.db.select({ n: sql<number>`count(*)::int` }).from(table);
    total += row?.n ?? 0;
  }
  return total;
}

/**
 * A snapshot with each list in _id order: the same call read from memory and from the
 * database compares equal (the database returns rows in its own order).
 */
export function byId(snapshot: CallSnapshot): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(snapshot).map(([table, value]) => [
      table,
      Array.isArray(value)
        ? [...(value as Array<{ _id: string }>)].sort((a, b) => a._id.localeCompare(b._id))
        : value,
    ]),
  );
}
