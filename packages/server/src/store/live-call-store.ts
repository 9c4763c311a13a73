// A live call and its nine detail tables: the aggregate ingest writes and the modal reads.
// Hot tables are written in batches (one multi-row INSERT per batch); a whole call is read
// back with one relational query, so a snapshot is consistent.
import type {
  CallObjective,
  CallObjectiveFields,
  CallPhase,
  CallPhaseFields,
  CallSnapshot,
  CallSystemConfig,
  CallSystemConfigFields,
  CoachingRecommendation,
  CoachingRecommendationFields,
  LiveCall,
  LiveCallFields,
  LivePerformanceMetrics,
  LivePerformanceMetricsFields,
  LiveTranscript,
  LiveTranscriptFields,
  NextAction,
  NextActionFields,
  SentimentAnalysis,
  SentimentAnalysisFields,
  SupervisorAction,
  SupervisorActionFields,
} from '@earshot/protocol';
import { EarshotError } from '@earshot/protocol';
import { asc, eq, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './database.ts';
import { insertMany, query, toDocument } from './rows.ts';
import {
  callObjectives,
  callPhases,
  callSystemConfig,
  coachingRecommendations,
  liveCalls,
  livePerformanceMetrics,
  liveTranscripts,
  nextActions,
  sentimentAnalysis,
  supervisorActions,
} from './schema.ts';

/** Detail tables that gain rows as a call goes on, with their field and document types. */
interface DetailTypes {
  liveTranscripts: [LiveTranscriptFields, LiveTranscript];
  callObjectives: [CallObjectiveFields, CallObjective];
  nextActions: [NextActionFields, NextAction];
  livePerformanceMetrics: [LivePerformanceMetricsFields, LivePerformanceMetrics];
  supervisorActions: [SupervisorActionFields, SupervisorAction];
  coachingRecommendations: [CoachingRecommendationFields, CoachingRecommendation];
  callPhases: [CallPhaseFields, CallPhase];
}
export type DetailTable = keyof DetailTypes;

const DETAIL_TABLES: Record<DetailTable, PgTable> = {
  liveTranscripts,
  callObjectives,
  nextActions,
  livePerformanceMetrics,
  supervisorActions,
  coachingRecommendations,
  callPhases,
};

export class LiveCallStore {
  /**
   * `read`'s query, built once. Drizzle builds a relational query's SQL in JavaScript, about
   * 3 ms for this one; a process restoring thousands of calls at start spent most of its time
   * there.
   */
  private readonly readCall;

  constructor(private readonly db: Db) {
    this.readCall = db.query.liveCalls
      .findFirst({
        where: eq(liveCalls._id, sql.placeholder('id')),
        with: {
          liveTranscripts: { orderBy: [asc(liveTranscripts.order)] },
          callObjectives: { orderBy: [asc(callObjectives.order)] },
          nextActions: { orderBy: [asc(nextActions.order)] },
          livePerformanceMetrics: { orderBy: [asc(livePerformanceMetrics.updatedAt)] },
          supervisorActions: {
            orderBy: [asc(supervisorActions.timestamp), asc(supervisorActions.order)],
          },
          coachingRecommendations: {
            orderBy: [
              sql`${coachingRecommendations.priority} desc`,
              asc(coachingRecommendations._creationTime),
            ],
          },
          callPhases: { orderBy: [asc(callPhases.order)] },
          callSystemConfig: true,
          sentimentAnalysis: true,
        },
      })
      // Unnamed: a named statement would be prepared on each pooled connection and clash
      // with itself after a failed transaction, or behind a transaction-pooling proxy.
      .prepare('');
  }

  async create(fields: LiveCallFields): Promise<LiveCall> {
    const [row] = await insertMany(this.db, liveCalls, [fields]);
    return toDocument(row!);
  }

  async get(id: string): Promise<LiveCall | undefined> {
    const [row] = await query(() => this.db.select().from(liveCalls).where(eq(liveCalls._id, id)));
    return row && toDocument(row);
  }

  async findByCallId(callId: string): Promise<LiveCall | undefined> {
    const [row] = await query(() =>
      this.db.select().from(liveCalls).where(eq(liveCalls.callId, callId)),
    );
    return row && toDocument(row);
  }

  /** Calls in a status, oldest first (uses the seed's by_status index). */
  async listByStatus(status: LiveCall['status']): Promise<LiveCall[]> {
    const rows = await query(() =>
      this.db
        .select()
        .from(liveCalls)
        .where(eq(liveCalls.status, status))
        .orderBy(asc(liveCalls.createdAt)),
    );
    return rows.map(toDocument);
  }

  async update(id: string, patch: Partial<LiveCallFields>): Promise<LiveCall> {
    const [row] = await query(() =>
      this.db.update(liveCalls).set(patch).where(eq(liveCalls._id, id)).returning(),
    );
    if (!row) throw new EarshotError('not_found', `No live call ${id}`);
    return toDocument(row);
  }

  /**
   * Appends rows to a detail table with one multi-row INSERT per batch.
   * @example
   * await store.insertDetails('liveTranscripts', chunks);
   */
  async insertDetails<T extends DetailTable>(
    table: T,
    rows: readonly DetailTypes[T][0][],
  ): Promise<DetailTypes[T][1][]> {
    const stored = await insertMany(this.db, DETAIL_TABLES[table], rows as never[]);
    return stored.map((row) => toDocument(row as object)) as DetailTypes[T][1][];
  }

  /** Sets the call's current system health, one row per call (insert or replace). */
  async upsertSystemConfig(fields: CallSystemConfigFields): Promise<CallSystemConfig> {
    const [row] = await query(() =>
      this.db
        .insert(callSystemConfig)
        .values(fields)
        .onConflictDoUpdate({
          target: callSystemConfig.liveCallId,
          set: excludedExcept(fields, ['liveCallId']),
        })
        .returning(),
    );
    return toDocument(row!);
  }

  /** Sets the call's running sentiment, one row per call (insert or replace). */
  async upsertSentiment(fields: SentimentAnalysisFields): Promise<SentimentAnalysis> {
    const [row] = await query(() =>
      this.db
        .insert(sentimentAnalysis)
        .values(fields)
        .onConflictDoUpdate({
          target: sentimentAnalysis.liveCallId,
          set: excludedExcept(fields, ['liveCallId']),
        })
        .returning(),
    );
    return toDocument(row!);
  }

  async listTranscripts(liveCallId: string): Promise<LiveTranscript[]> {
    const rows = await query(() =>
      this.db
        .select()
        .from(liveTranscripts)
        .where(eq(liveTranscripts.liveCallId, liveCallId))
        .orderBy(asc(liveTranscripts.order)),
    );
    return rows.map(toDocument);
  }

  /**
   * The whole call, all ten tables, in one statement (a consistent snapshot).
   * Ordered lists follow the seed's indexes: transcripts, objectives and phases by order,
   * supervisor actions by timestamp then order, coaching by priority, metrics by time.
   */
  async read(id: string): Promise<CallSnapshot | undefined> {
    const row = await query(() => this.readCall.execute({ id }));
    if (!row) return undefined;
    const {
      liveTranscripts: transcripts,
      callObjectives: objectives,
      nextActions: actions,
      livePerformanceMetrics: metrics,
      supervisorActions: supervision,
      coachingRecommendations: coaching,
      callPhases: phases,
      callSystemConfig: system,
      sentimentAnalysis: sentiment,
      ...call
    } = row;
    return {
      liveCall: toDocument(call),
      liveTranscripts: transcripts.map(toDocument),
      callObjectives: objectives.map(toDocument),
      nextActions: actions.map(toDocument),
      livePerformanceMetrics: metrics.map(toDocument),
      supervisorActions: supervision.map(toDocument),
      coachingRecommendations: coaching.map(toDocument),
      callPhases: phases.map(toDocument),
      callSystemConfig: system[0] && toDocument(system[0]),
      sentimentAnalysis: sentiment[0] && toDocument(sentiment[0]),
    };
  }

  /** Deletes the call; every detail row goes with it (ON DELETE CASCADE). */
  async delete(id: string): Promise<boolean> {
    const rows = await query(() =>
      this.db.delete(liveCalls).where(eq(liveCalls._id, id)).returning({ id: liveCalls._id }),
    );
    return rows.length > 0;
  }
}

/** `SET col = excluded.col` for every supplied field but the conflict key. */
function excludedExcept(fields: object, keys: string[]) {
  const set: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    if (!keys.includes(key)) set[key] = sql.raw(`excluded.${snake(key)}`);
  }
  return set;
}

function snake(key: string): string {
  return `"${key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)}"`;
}
