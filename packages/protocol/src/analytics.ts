// Reading the permanent record back: which ended calls' roll-ups a request asks for, and the
// totals over them. The documents themselves are callAnalytics and transcriptArchive.
import { z } from 'zod';
import { isoTimestamp } from './documents.ts';
import { END_REASONS } from './literals.ts';
/**
 * Which ended calls' roll-ups: by campaign, agent, end reason, and when they ended (`from`
 * inclusive, `to` exclusive). Newest first, at most `limit`; the next page is asked for with
 * the `next` cursor the list answered.
 */
export const analyticsQuery = z
  .strictObject({
    campaignId: z.uuid().optional(),
    agentName: z.string().min(1).max(500).optional(),
    endReason: z.enum(END_REASONS).optional(),
    from: isoTimestamp.optional(),
    to: isoTimestamp.optional(),
    /** The `next` a previous page answered: this page starts right after that one. */
    cursor: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .superRefine((query, context) => {
    if (query.from && query.to && Date.parse(query.from) >= Date.parse(query.to))
      context.addIssue({ code: 'custom', path: ['to'], message: 'Must be after from' });
  });
export type AnalyticsQuery = z.infer<typeof analyticsQuery>;

/** Totals over the calls an analytics query selects (averages are null without calls). */
export const analyticsSummary = z.object({
  calls: z.number().int(),
  averageDurationSeconds: z.number().nullable(),
  averageAgentTalkPercentage: z.number().nullable(),
  averagePositivePercentage: z.number().nullable(),
  averageNegativePercentage: z.number().nullable(),
  /** Over the calls that had a prediction (a metrics tick before they ended). */
  averageConversionProbability: z.number().nullable(),
  objectivesCompleted: z.number().int(),
  objectivesTotal: z.number().int(),
  totalCost: z.number(),
  byEndReason: z.record(z.string(), z.number().int()),
});
export type AnalyticsSummary = z.infer<typeof analyticsSummary>;
