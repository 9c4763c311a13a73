// The seed's literal unions, as constant arrays. Zod schemas (documents.ts) and the
// database's check constraints (server/src/store/schema.ts) are both built from these,
// so a literal can never be accepted by one layer and refused by the other.

/** liveCalls.status. "ended" is our addition: the seed's lifecycle ends a call but its union has no final state. */
export const CALL_STATUSES = [
  'connecting',
  'ringing',
  'connected',
  'on-hold',
  'transferring',
  'ended',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** Why a call ended (our addition, with liveCalls.endedAt). "stale" is set by the sweeper. */
export const END_REASONS = [
  'completed',
  'customer-hangup',
  'agent-hangup',
  'transferred',
  'voicemail',
  'no-answer',
  'failed',
  'supervisor',
  'stale',
] as const;
export type EndReason = (typeof END_REASONS)[number];

export const SPEAKERS = ['agent', 'customer'] as const;
export type Speaker = (typeof SPEAKERS)[number];

export const SENTIMENTS = ['positive', 'negative', 'neutral'] as const;
export type Sentiment = (typeof SENTIMENTS)[number];

export const OBJECTIVE_STATUSES = ['pending', 'in_progress', 'completed', 'failed'] as const;
export type ObjectiveStatus = (typeof OBJECTIVE_STATUSES)[number];

export const NEXT_ACTION_PRIORITIES = ['immediate', 'next', 'follow-up'] as const;
export type NextActionPriority = (typeof NEXT_ACTION_PRIORITIES)[number];

export const LEVELS = ['LOW', 'MEDIUM', 'HIGH'] as const;
export type Level = (typeof LEVELS)[number];

export const RESPONSE_QUALITIES = ['POOR', 'FAIR', 'GOOD', 'EXCELLENT'] as const;
export type ResponseQuality = (typeof RESPONSE_QUALITIES)[number];

export const INTEREST_SIGNALS = ['WEAK', 'MODERATE', 'STRONG'] as const;
export type InterestSignal = (typeof INTEREST_SIGNALS)[number];

export const SUPERVISOR_ACTIONS = [
  'COACH_AGENT',
  'JOIN_CALL',
  'TRANSFER_CALL',
  'END_CALL',
  'ADD_NOTE',
  'BOOKMARK_MOMENT',
  'FLAG_FOR_REVIEW',
] as const;
export type SupervisorActionKind = (typeof SUPERVISOR_ACTIONS)[number];
/** Actions that act on the call itself: sent to the voice platform, refused once it ended. */
export const ACTIONS_ON_CALL: ReadonlySet<SupervisorActionKind> = new Set([
  'COACH_AGENT',
  'JOIN_CALL',
  'TRANSFER_CALL',
  'END_CALL',
]);

export const COACHING_TYPES = ['positive', 'warning', 'suggestion'] as const;
export type CoachingType = (typeof COACHING_TYPES)[number];

export const PHASE_STATUSES = ['pending', 'active', 'completed', 'skipped'] as const;
export type PhaseStatus = (typeof PHASE_STATUSES)[number];

export const PHASE_QUALITIES = ['poor', 'fair', 'good', 'excellent'] as const;
export type PhaseQuality = (typeof PHASE_QUALITIES)[number];

export const SIP_STATUSES = ['connected', 'error'] as const;
export const STT_STATUSES = ['streaming', 'error'] as const;
export const LLM_STATUSES = ['active', 'error'] as const;
export const TTS_STATUSES = ['active', 'error'] as const;

export const SENTIMENT_TRENDS = ['improving', 'stable', 'declining'] as const;
export type SentimentTrend = (typeof SENTIMENT_TRENDS)[number];

export const CAMPAIGN_STATUSES = ['active', 'paused', 'completed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Kinds of personal data the redaction stage finds in transcripts. */
export const PII_KINDS = [
  'card',
  'cvv',
  'expiry',
  'ssn',
  'iban',
  'account',
  'phone',
  'email',
  'dob',
] as const;
export type PiiKind = (typeof PII_KINDS)[number];
export const REDACTION_ACTIONS = ['redact', 'keep'] as const;
export type RedactionPolicy = Record<PiiKind, (typeof REDACTION_ACTIONS)[number]>;

/** Where an action that acts on the call stands in its delivery to the voice platform. */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'not_configured'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
