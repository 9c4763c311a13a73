// The permanent record of ended calls: callAnalytics and the transcript archive. Written once
// at call end, in one transaction, and kept after the live rows expire.
import type {
  CallAnalytics,
  CallAnalyticsFields,
  TranscriptArchive,
  TranscriptArchiveFields,
} from '@earshot/protocol';
import { asc, eq } from 'drizzle-orm';
import type { Db } from './database.ts';
import { insertMany, query, toDocument } from './rows.ts';
import { callAnalytics, transcriptArchive } from './schema.ts';

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

  async findByCallId(callId: string): Promise<CallAnalytics | undefined> {
    const [row] = await query(() =>
      this.db.select().from(callAnalytics).where(eq(callAnalytics.callId, callId)),
    );
    return row && toDocument(row);
  }

  async archivedTranscript(callId: string): Promise<TranscriptArchive[]> {
    const rows = await query(() =>
      this.db
        .select()
        .from(transcriptArchive)
        .where(eq(transcriptArchive.callId, callId))
        .orderBy(asc(transcriptArchive.order)),
    );
    return rows.map(toDocument);
  }
}
