// The permanent record of ended calls: callAnalytics and the transcript archive. Written once
// at call end, in one transaction, and kept after the live rows expire.
import type {
  Annotation,
  AnnotationAction,
  CallAnalytics,
  CampaignScope,
  CallAnalyticsFields,
  TranscriptArchive,
  TranscriptArchiveFields,
} from '@earshot/protocol';
import { and, asc, desc, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
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
