// Campaign scripts and the campaign API's request bodies. A script is what the analytics
// engine reads: the phases a call should move through, in order, and the objectives it
// should reach, each with the phrases that signal it.
import { z } from 'zod';
import { CAMPAIGN_STATUSES, PII_KINDS, REDACTION_ACTIONS } from './literals.ts';

const cue = z.string().trim().min(1).max(200);

export const scriptPhase = z.strictObject({
  name: z.string().trim().min(1).max(100),
  description: z.string().max(1000).default(''),
  /** Phrases that signal the conversation has entered this phase. */
  cues: z.array(cue).max(50).default([]),
});

export const scriptObjective = z.strictObject({
  text: z.string().trim().min(1).max(300),
  /** Phrases that signal the objective has been reached. */
  completionCues: z.array(cue).max(50).default([]),
});

export const campaignScript = z.strictObject({
  phases: z.array(scriptPhase).max(30).default([]),
  objectives: z.array(scriptObjective).max(30).default([]),
});
export type CampaignScript = z.output<typeof campaignScript>;

/**
 * Which kinds of personal data a campaign's transcripts keep. Anything not named is redacted:
 * the safe default is to redact every kind.
 */
export const redactionPolicy = z.partialRecord(z.enum(PII_KINDS), z.enum(REDACTION_ACTIONS));
export type RedactionPolicyPatch = z.output<typeof redactionPolicy>;

/** POST /api/v1/campaigns */
export const createCampaignRequest = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).default(''),
  type: z.string().trim().min(1).max(100),
  status: z.enum(CAMPAIGN_STATUSES).default('active'),
  script: campaignScript.default({ phases: [], objectives: [] }),
  redaction: redactionPolicy.optional(),
});
export type CreateCampaignRequest = z.output<typeof createCampaignRequest>;

/** PATCH /api/v1/campaigns/:id: any subset of the fields. */
export const updateCampaignRequest = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000),
    type: z.string().trim().min(1).max(100),
    status: z.enum(CAMPAIGN_STATUSES),
    script: campaignScript,
    redaction: redactionPolicy,
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'Nothing to update' });
export type UpdateCampaignRequest = z.output<typeof updateCampaignRequest>;
