// The permanent record of ended calls: callAnalytics and the transcript archive. Written once
// at call end, in one transaction, and kept after the live rows expire.
import type {
  AnalyticsQuery,
  AnalyticsSummary,
  Annotation,
  AnnotationAction,
  CallAnalytics,
  CampaignScope,
  CallAnalyticsFields,
  TranscriptArchive,
  TranscriptArchiveFields,
} from '@earshot/protocol';
import { and, asc, count, desc, eq, gte, inArray, lt, or, sql, sum, type SQL } from 'drizzle-orm';
import type { Db } from './database.ts';
import { insertMany, query, toDocument } from './rows.ts';
import { callAnalytics, callAnnotations, transcriptArchive } from './schema.ts';

export class AnalyticsStore {
  constructor(private readonly db: Db) {}

  /** Stores a call's roll-up and its archived transcript together, or neither. */
  async record(
    analytics: CallAnalyticsFields,
    transcript: readonly Omit<TranscriptArchiveFields, 'callAnalyticsId'>[],
  ): Promise<CallAnalytics> {
    return query(() =>
      this.db.transaction(async (tx) => {
        const [row] = await tx.insert(callAnalytics).values(analytics).returning();
        const stored = toDocument(row!);
        await insertMany(
          tx as unknown as Db,
          transcriptArchive,
          transcript.map((line) => ({ ...line, callAnalyticsId: stored._id })),
        );
        return stored;
      }),
    );
  }

  /**
   * The roll-up of the latest call with this callId. A callId may be used again once the first
   * call's live rows have expired; each call keeps its own roll-up.
   */
  async findByCallId(callId: string): Promise<CallAnalytics | undefined> {
    const [row] = await query(() =>
      this.db
        .select()
        .from(callAnalytics)
        .where(eq(callAnalytics.callId, callId))
        .orderBy(desc(callAnalytics.endedAt), desc(callAnalytics.createdAt))
        .limit(1),
    );
    return row && toDocument(row);
  }

  /** The archived final transcript of the latest call with this callId, in order. */
  async archivedTranscript(callId: string): Promise<TranscriptArchive[]> {
    const latest = await this.findByCallId(callId);
    if (!latest) return [];
    const rows = await query(() =>
      this.db
        .select()
        .from(transcriptArchive)
        .where(eq(transcriptArchive.callAnalyticsId, latest._id))
        .orderBy(asc(transcriptArchive.order)),
    );
    return rows.map(toDocument);
  }

  /** The conditions an analytics query and a campaign scope put on callAnalytics rows. */
  private conditionsOf(
    filter: Omit<AnalyticsQuery, 'limit' | 'cursor'>,
    scope: CampaignScope,
  ): SQL[] {
    const conditions: SQL[] = [];
    if (scope !== 'all') conditions.push(inArray(callAnalytics.campaignId, [...scope]));
    if (filter.campaignId) conditions.push(eq(callAnalytics.campaignId, filter.campaignId));
    if (filter.agentName) conditions.push(eq(callAnalytics.agentName, filter.agentName));
    if (filter.endReason) conditions.push(eq(callAnalytics.endReason, filter.endReason));
    // endedAt is stored as UTC ISO text, which sorts as time does: bounds are made the same.
    if (filter.from)
      conditions.push(gte(callAnalytics.endedAt, new Date(filter.from).toISOString()));
    if (filter.to) conditions.push(lt(callAnalytics.endedAt, new Date(filter.to).toISOString()));
    return conditions;
  }

  /** Roll-ups of ended calls, newest first, within `scope`. */
  async list(
    filter: Omit<AnalyticsQuery, 'cursor'>,
    scope: CampaignScope,
    /** The row the previous page ended with: this page starts after it, in the same order. */
    after?: { endedAt: string; id: string },
  ): Promise<CallAnalytics[]> {
    if (scope !== 'all' && scope.length === 0) return [];
    const conditions = this.conditionsOf(filter, scope);
    if (after)
      conditions.push(
        or(
          lt(callAnalytics.endedAt, after.endedAt),
          and(eq(callAnalytics.endedAt, after.endedAt), lt(callAnalytics._id, after.id)),
        )!,
      );
    const rows = await query(() =>
      this.db
        .select()
        .from(callAnalytics)
        .where(conditions.length ? and(...conditions) : sql`true`)
        .orderBy(desc(callAnalytics.endedAt), desc(callAnalytics._id))
        .limit(filter.limit),
    );
    return rows.map(toDocument);
  }

  /** One roll-up by its id. */
  async get(id: string): Promise<CallAnalytics | undefined> {
    const [row] = await query(() =>
      this.db.select().from(callAnalytics).where(eq(callAnalytics._id, id)),
    );
    return row && toDocument(row);
  }

  /** A roll-up's archived final transcript, in order. */
  async transcriptOf(analyticsId: string): Promise<TranscriptArchive[]> {
    const rows = await query(() =>
      this.db
        .select()
        .from(transcriptArchive)
        .where(eq(transcriptArchive.callAnalyticsId, analyticsId))
        .orderBy(asc(transcriptArchive.order)),
    );
    return rows.map(toDocument);
  }

  /** Totals over the roll-ups a query selects (its limit does not apply), within `scope`. */
  async summary(filter: AnalyticsQuery, scope: CampaignScope): Promise<AnalyticsSummary> {
    const empty: AnalyticsSummary = {
      calls: 0,
      averageDurationSeconds: null,
      averageAgentTalkPercentage: null,
      averagePositivePercentage: null,
      averageNegativePercentage: null,
      averageConversionProbability: null,
      objectivesCompleted: 0,
      objectivesTotal: 0,
      totalCost: 0,
      byEndReason: {},
    };
    if (scope !== 'all' && scope.length === 0) return empty;
    const conditions = this.conditionsOf(filter, scope);
    const where = conditions.length ? and(...conditions) : sql`true`;
    const byReason = await query(() =>
      this.db
        .select({
          endReason: callAnalytics.endReason,
          calls: count(),
          duration: sum(callAnalytics.durationSeconds),
          agentTalk: sum(callAnalytics.agentTalkPercentage),
          positive: sum(callAnalytics.positivePercentage),
          negative: sum(callAnalytics.negativePercentage),
          conversion: sum(callAnalytics.conversionProbability),
          predicted: count(callAnalytics.conversionProbability),
          objectivesCompleted: sum(callAnalytics.objectivesCompleted),
          objectivesTotal: sum(callAnalytics.objectivesTotal),
          totalCost: sum(callAnalytics.totalCost),
        })
        .from(callAnalytics)
        .where(where)
        .groupBy(callAnalytics.endReason),
    );
    // Sums per end reason, added up here: one query gives both the totals and the split.
    const total = (pick: (row: (typeof byReason)[number]) => string | number | null) =>
      byReason.reduce((sum, row) => sum + Number(pick(row) ?? 0), 0);
    const calls = total((row) => row.calls);
    if (calls === 0) return empty;
    const mean = (value: number, of: number) => (of === 0 ? null : round(value / of, 2));
    const predicted = total((row) => row.predicted);
    return {
      calls,
      averageDurationSeconds: mean(
        total((row) => row.duration),
        calls,
      ),
      averageAgentTalkPercentage: mean(
        total((row) => row.agentTalk),
        calls,
      ),
      averagePositivePercentage: mean(
        total((row) => row.positive),
        calls,
      ),
      averageNegativePercentage: mean(
        total((row) => row.negative),
        calls,
      ),
      averageConversionProbability: mean(
        total((row) => row.conversion),
        predicted,
      ),
      objectivesCompleted: total((row) => row.objectivesCompleted),
      objectivesTotal: total((row) => row.objectivesTotal),
      totalCost: round(
        total((row) => row.totalCost),
        4,
      ),
      byEndReason: Object.fromEntries(byReason.map((row) => [row.endReason, Number(row.calls)])),
    };
  }

  /** Notes, bookmarks and flags, newest first, limited to the campaigns in `scope`. */
  async annotations(
    filter: { callId?: string; action?: AnnotationAction; before?: number; limit: number },
    scope: CampaignScope,
  ): Promise<Annotation[]> {
    if (scope !== 'all' && scope.length === 0) return [];
    const conditions: SQL[] = [];
    if (scope !== 'all') conditions.push(inArray(callAnnotations.campaignId, [...scope]));
    if (filter.callId) conditions.push(eq(callAnnotations.callId, filter.callId));
    if (filter.action) conditions.push(eq(callAnnotations.action, filter.action));
    if (filter.before !== undefined) conditions.push(lt(callAnnotations.createdAt, filter.before));
    const rows = await query(() =>
      this.db
        .select()
        .from(callAnnotations)
        .where(conditions.length ? and(...conditions) : sql`true`)
        .orderBy(desc(callAnnotations.createdAt))
        .limit(filter.limit),
    );
    return rows.map((row) => ({
      id: row._id,
      callId: row.callId,
      ...(row.campaignId !== null ? { campaignId: row.campaignId } : {}),
      action: row.action,
      ...(row.details !== null ? { details: row.details } : {}),
      supervisorId: row.supervisorId,
      supervisorName: row.supervisorName,
      timestamp: row.timestamp,
      createdAt: row.createdAt,
    }));
  }
}

function round(value: number, places: number): number {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}
