// The database schema: the seed's eleven tables, our callAnalytics and transcriptArchive,
// as drizzle pg-core tables. One schema serves PGlite and PostgreSQL; drizzle-kit generates
// the migrations in ../../drizzle from this file (`npm run db:generate`).
//
// TypeScript keys are the seed's field names (plus `_id` and `_creationTime`), so rows read
// back are already shaped like the seed's documents. SQL columns are snake_case.
// Literal unions and the seed's ranges are check constraints built from the same constants
// as the zod schemas; CHECKED_FIELDS maps each constraint back to its field for errors.
import {
  ANNOTATION_ACTIONS,
  AUDIT_EVENTS,
  ROLES,
  CALL_STATUSES,
  CAMPAIGN_STATUSES,
  COACHING_TYPES,
  END_REASONS,
  INTEREST_SIGNALS,
  LEVELS,
  LLM_STATUSES,
  NEXT_ACTION_PRIORITIES,
  OBJECTIVE_STATUSES,
  PHASE_QUALITIES,
  PHASE_STATUSES,
  RESPONSE_QUALITIES,
  SENTIMENTS,
  SENTIMENT_TRENDS,
  SIP_STATUSES,
  SPEAKERS,
  STT_STATUSES,
  SUPERVISOR_ACTIONS,
  TTS_STATUSES,
  type CallAnalyticsFields,
  type CampaignScript,
  type RedactionPolicy,
  type RedactionPolicyPatch,
  type SupervisorAction,
} from '@earshot/protocol';

export const OUTBOX_STATUSES = ['pending', 'delivered', 'failed'] as const;
import { relations, sql } from 'drizzle-orm';
import {
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
  type PgColumn,
} from 'drizzle-orm/pg-core';

/** Check-constraint name → the field it guards, so a database refusal can name the field. */
export const CHECKED_FIELDS = new Map<string, string>();

function constraint(table: string, field: string, kind: string): string {
  const name = `${table}_${field}_${kind}`;
  CHECKED_FIELDS.set(name, field);
  return name;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A literal union as a check constraint: the column is NULL or one of the values. */
function oneOf(table: string, field: string, column: PgColumn, values: readonly string[]) {
  const list = sql.raw(values.map(quoteLiteral).join(', '));
  return check(constraint(table, field, 'literal'), sql`${column} in (${list})`);
}

function between(table: string, field: string, column: PgColumn, min: number, max: number) {
  return check(
    constraint(table, field, 'range'),
    sql`${column} between ${sql.raw(String(min))} and ${sql.raw(String(max))}`,
  );
}

function nonNegative(table: string, field: string, column: PgColumn) {
  return check(constraint(table, field, 'range'), sql`${column} >= 0`);
}

/** `_id` and `_creationTime`, the fields the seed's platform adds to every document. */
function documentColumns() {
  return {
    _id: uuid('id').primaryKey().defaultRandom(),
    _creationTime: doublePrecision('creation_time')
      .notNull()
      .default(sql`(extract(epoch from clock_timestamp()) * 1000)`),
  };
}

function liveCallReference() {
  return uuid()
    .notNull()
    .references((): AnyPgColumn => liveCalls._id, { onDelete: 'cascade' });
}

export const campaigns = pgTable(
  'campaigns',
  {
    ...documentColumns(),
    name: text().notNull(),
    description: text().notNull(),
    type: text().notNull(),
    status: text({ enum: CAMPAIGN_STATUSES }).notNull(),
    script: jsonb()
      .$type<CampaignScript>()
      .notNull()
      .default(sql`'{"phases":[],"objectives":[]}'::jsonb`),
    redaction: jsonb().$type<RedactionPolicyPatch>(),
    createdAt: doublePrecision().notNull(),
    updatedAt: doublePrecision().notNull(),
  },
  (t) => [
    uniqueIndex('campaigns_by_name').on(t.name),
    index('campaigns_by_status').on(t.status),
    oneOf('campaigns', 'status', t.status, CAMPAIGN_STATUSES),
  ],
);

export const liveCalls = pgTable(
  'live_calls',
  {
    ...documentColumns(),
    callId: text().notNull(),
    agentName: text().notNull(),
    customerName: text().notNull(),
    customerPhone: text().notNull(),
    status: text({ enum: CALL_STATUSES }).notNull(),
    startTime: text().notNull(),
    duration: doublePrecision().notNull(),
    currentPhase: text().notNull(),
    campaignId: uuid().references((): AnyPgColumn => campaigns._id, { onDelete: 'set null' }),
    campaignName: text().notNull(),
    isRecording: boolean().notNull(),
    recordingStartTime: text(),
    agentGain: doublePrecision().notNull(),
    customerGain: doublePrecision().notNull(),
    currentSpeaker: text({ enum: SPEAKERS }),
    sipEndpoint: text(),
    sessionId: text().notNull(),
    endedAt: text(),
    endReason: text({ enum: END_REASONS }),
    securePauseSince: text(),
    createdAt: doublePrecision().notNull(),
    updatedAt: doublePrecision().notNull(),
  },
  (t) => [
    // Unique: a callId names one live call (starting it again is idempotent, see ingest).
    uniqueIndex('live_calls_by_call_id').on(t.callId),
    index('live_calls_by_status').on(t.status),
    index('live_calls_by_agent').on(t.agentName),
    index('live_calls_by_session').on(t.sessionId),
    // The sweeper finds ended calls past retention by this index.
    index('live_calls_by_ended_at').on(t.endedAt),
    oneOf('live_calls', 'status', t.status, CALL_STATUSES),
    oneOf('live_calls', 'currentSpeaker', t.currentSpeaker, SPEAKERS),
    oneOf('live_calls', 'endReason', t.endReason, END_REASONS),
    nonNegative('live_calls', 'duration', t.duration),
    between('live_calls', 'agentGain', t.agentGain, 0, 100),
    between('live_calls', 'customerGain', t.customerGain, 0, 100),
  ],
);

export const liveTranscripts = pgTable(
  'live_transcripts',
  {
    ...documentColumns(),
    liveCallId: liveCallReference(),
    timestamp: text().notNull(),
    speaker: text({ enum: SPEAKERS }).notNull(),
    text: text().notNull(),
    sentiment: text({ enum: SENTIMENTS }),
    confidence: doublePrecision(),
    isFinal: boolean().notNull(),
    order: doublePrecision().notNull(),
    createdAt: doublePrecision().notNull(),
    segmentId: text(),
    seq: doublePrecision(),
  },
  (t) => [
    index('live_transcripts_by_call').on(t.liveCallId, t.order),
    index('live_transcripts_by_timestamp').on(t.liveCallId, t.createdAt),
    oneOf('live_transcripts', 'speaker', t.speaker, SPEAKERS),
    oneOf('live_transcripts', 'sentiment', t.sentiment, SENTIMENTS),
    between('live_transcripts', 'confidence', t.confidence, 0, 1),
  ],
);

export const callObjectives = pgTable(
  'call_objectives',
  {
    ...documentColumns(),
    liveCallId: liveCallReference(),
    objective: text().notNull(),
    status: text({ enum: OBJECTIVE_STATUSES }).notNull(),
    completedAt: text(),
    order: doublePrecision().notNull(),
  },
  (t) => [
    index('call_objectives_by_call').on(t.liveCallId, t.order),
    index('call_objectives_by_status').on(t.liveCallId, t.status),
    oneOf('call_objectives', 'status', t.status, OBJECTIVE_STATUSES),
  ],
);

export const nextActions = pgTable(
  'next_actions',
  {
    ...documentColumns(),
    liveCallId: liveCallReference(),
    action: text().notNull(),
    priority: text({ enum: NEXT_ACTION_PRIORITIES }).notNull(),
    reason: text().notNull(),
    suggestedAt: text().notNull(),
    order: doublePrecision().notNull(),
  },
  (t) => [
    index('next_actions_by_call').on(t.liveCallId, t.priority, t.order),
    oneOf('next_actions', 'priority', t.priority, NEXT_ACTION_PRIORITIES),
  ],
);

const PERCENT_METRICS = [
  'scriptAdherence',
  'agentConfidence',
  'conversationQuality',
  'prospectEngagement',
  'conversionProbability',
  'demoAcceptanceProbability',
  'immediateCloseProbability',
] as const;

export const livePerformanceMetrics = pgTable(
  'live_performance_metrics',
  {
    ...documentColumns(),
    liveCallId: liveCallReference(),
    scriptAdherence: doublePrecision().notNull(),
    agentConfidence: doublePrecision().notNull(),
    conversationQuality: doublePrecision().notNull(),
    prospectEngagement: doublePrecision().notNull(),
    voiceEnergyLevel: text({ enum: LEVELS }).notNull(),
    responseQuality: text({ enum: RESPONSE_QUALITIES }).notNull(),
    questionFrequency: text({ enum: LEVELS }).notNull(),
    interestSignals: text({ enum: INTEREST_SIGNALS }).notNull(),
    conversionProbability: doublePrecision().notNull(),
    demoAcceptanceProbability: doublePrecision().notNull(),
    immediateCloseProbability: doublePrecision().notNull(),
    updatedAt: doublePrecision().notNull(),
  },
  (t) => [
    // One row per 5 s tick: the history gives the modal its trend lines.
    index('live_performance_metrics_by_call').on(t.liveCallId),
    oneOf('live_performance_metrics', 'voiceEnergyLevel', t.voiceEnergyLevel, LEVELS),
    oneOf('live_performance_metrics', 'responseQuality', t.responseQuality, RESPONSE_QUALITIES),
    oneOf('live_performance_metrics', 'questionFrequency', t.questionFrequency, LEVELS),
    oneOf('live_performance_metrics', 'interestSignals', t.interestSignals, INTEREST_SIGNALS),
    ...PERCENT_METRICS.map((field) => between('live_performance_metrics', field, t[field], 0, 100)),
  ],
);

export const supervisorActions = pgTable(
  'supervisor_actions',
  {
    ...documentColumns(),
    liveCallId: liveCallReference(),
    supervisorId: text().notNull(),
    supervisorName: text().notNull(),
    action: text({ enum: SUPERVISOR_ACTIONS }).notNull(),
    details: text(),
    timestamp: text().notNull(),
    order: doublePrecision().notNull(),
    delivery: jsonb().$type<NonNullable<SupervisorAction['delivery']>>(),
  },
  (t) => [
    index('supervisor_actions_by_call').on(t.liveCallId, t.timestamp),
    index('supervisor_actions_by_supervisor').on(t.supervisorId, t.timestamp),
    oneOf('supervisor_actions', 'action', t.action, SUPERVISOR_ACTIONS),
  ],
);

/**
 * The transactional outbox: one row per action to deliver to the voice platform, written in
 * the same transaction as its supervisorActions row, and worked by the outbox dispatcher.
 */
export const outbox = pgTable(
  'outbox',
  {
    ...documentColumns(),
    liveCallId: liveCallReference(),
    callId: text().notNull(),
    /** The supervisorActions row this delivers; also the Idempotency-Key the platform sees. */
    actionId: uuid().notNull(),
    /** The action's `order` on its call: a call's actions are delivered in this order. */
    actionOrder: integer().notNull().default(0),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    status: text({ enum: OUTBOX_STATUSES }).notNull(),
    attempts: integer().notNull(),
    nextAttemptAt: doublePrecision().notNull(),
    lastError: text(),
    deliveredAt: doublePrecision(),
    createdAt: doublePrecision().notNull(),
  },
  (t) => [
    uniqueIndex('outbox_by_action').on(t.actionId),
    index('outbox_due').on(t.status, t.nextAttemptAt),
    index('outbox_by_call').on(t.liveCallId, t.actionOrder),
    oneOf('outbox', 'status', t.status, OUTBOX_STATUSES),
  ],
);

export const coachingRecommendations = pgTable(
  'coaching_recommendations',
  {
    ...documentColumns(),
    liveCallId: liveCallReference(),
    type: text({ enum: COACHING_TYPES }).notNull(),
    title: text().notNull(),
    description: text().notNull(),
    priority: doublePrecision().notNull(),
    timestamp: text().notNull(),
    isActive: boolean().notNull(),
  },
  (t) => [
    index('coaching_recommendations_by_call').on(t.liveCallId, t.isActive, t.priority),
    oneOf('coaching_recommendations', 'type', t.type, COACHING_TYPES),
    between('coaching_recommendations', 'priority', t.priority, 1, 10),
  ],
);

export const callPhases = pgTable(
  'call_phases',
  {
    ...documentColumns(),
    liveCallId: liveCallReference(),
    phase: text().notNull(),
    status: text({ enum: PHASE_STATUSES }).notNull(),
    startTime: text(),
    endTime: text(),
    duration: text(),
    quality: text({ enum: PHASE_QUALITIES }),
    order: doublePrecision().notNull(),
  },
  (t) => [
    index('call_phases_by_call').on(t.liveCallId, t.order),
    index('call_phases_by_status').on(t.liveCallId, t.status),
    oneOf('call_phases', 'status', t.status, PHASE_STATUSES),
    oneOf('call_phases', 'quality', t.quality, PHASE_QUALITIES),
  ],
);

export const callSystemConfig = pgTable(
  'call_system_config',
  {
    ...documentColumns(),
    liveCallId: liveCallReference(),
    sipProvider: text().notNull(),
    sttProvider: text().notNull(),
    llmProvider: text().notNull(),
    ttsProvider: text().notNull(),
    sipStatus: text({ enum: SIP_STATUSES }).notNull(),
    sttStatus: text({ enum: STT_STATUSES }).notNull(),
    llmStatus: text({ enum: LLM_STATUSES }).notNull(),
    ttsStatus: text({ enum: TTS_STATUSES }).notNull(),
    apiLatency: doublePrecision().notNull(),
    errorRate: doublePrecision().notNull(),
    queueDepth: doublePrecision().notNull(),
    costPerMinute: doublePrecision().notNull(),
    totalCost: doublePrecision().notNull(),
    updatedAt: doublePrecision().notNull(),
  },
  (t) => [
    // Unique: one current system state per call, updated in place.
    uniqueIndex('call_system_config_by_call').on(t.liveCallId),
    oneOf('call_system_config', 'sipStatus', t.sipStatus, SIP_STATUSES),
    oneOf('call_system_config', 'sttStatus', t.sttStatus, STT_STATUSES),
    oneOf('call_system_config', 'llmStatus', t.llmStatus, LLM_STATUSES),
    oneOf('call_system_config', 'ttsStatus', t.ttsStatus, TTS_STATUSES),
    nonNegative('call_system_config', 'apiLatency', t.apiLatency),
    between('call_system_config', 'errorRate', t.errorRate, 0, 100),
    nonNegative('call_system_config', 'queueDepth', t.queueDepth),
    nonNegative('call_system_config', 'costPerMinute', t.costPerMinute),
    nonNegative('call_system_config', 'totalCost', t.totalCost),
  ],
);

export const sentimentAnalysis = pgTable(
  'sentiment_analysis',
  {
    ...documentColumns(),
    liveCallId: liveCallReference(),
    positivePercentage: doublePrecision().notNull(),
    neutralPercentage: doublePrecision().notNull(),
    negativePercentage: doublePrecision().notNull(),
    trend: text({ enum: SENTIMENT_TRENDS }).notNull(),
    lastPositiveMoment: text(),
    lastNegativeMoment: text(),
    updatedAt: doublePrecision().notNull(),
  },
  (t) => [
    // Unique: one running analysis per call, updated with each transcript chunk.
    uniqueIndex('sentiment_analysis_by_call').on(t.liveCallId),
    oneOf('sentiment_analysis', 'trend', t.trend, SENTIMENT_TRENDS),
    between('sentiment_analysis', 'positivePercentage', t.positivePercentage, 0, 100),
    between('sentiment_analysis', 'neutralPercentage', t.neutralPercentage, 0, 100),
    between('sentiment_analysis', 'negativePercentage', t.negativePercentage, 0, 100),
  ],
);

/**
 * Every event a call has accepted, by its per-call seq, with a hash of its body: a replay is
 * recognised (and acknowledged) after a restart, and the same seq with another body refused.
 * Deleted with the live call. Keyed by (call, seq) and nothing else: one row per event makes
 * this the busiest table, and a random `_id` beside that key was a second index to write on
 * every event (decision 0029).
 */
export const callEvents = pgTable(
  'call_events',
  {
    liveCallId: liveCallReference(),
    seq: doublePrecision().notNull(),
    type: text().notNull(),
    hash: text().notNull(),
    receivedAt: doublePrecision().notNull(),
  },
  (t) => [primaryKey({ name: 'call_events_pkey', columns: [t.liveCallId, t.seq] })],
);

/**
 * The redaction policy each call started with (its campaign's then): read back at a restart,
 * so that a campaign changed meanwhile does not change what its running calls keep.
 */
export const callRedactionPolicies = pgTable('call_redaction_policies', {
  liveCallId: liveCallReference().primaryKey(),
  policy: jsonb().$type<RedactionPolicy>().notNull(),
});

/** API keys: only a SHA-256 of the secret is stored; the key is shown once at creation. */
export const apiKeys = pgTable(
  'api_keys',
  {
    ...documentColumns(),
    name: text().notNull(),
    /** The public part of the key (`esk_<prefix>_...`), used to find the row. */
    prefix: text().notNull(),
    secretHash: text().notNull(),
    scopes: jsonb().$type<string[]>().notNull(),
    createdAt: doublePrecision().notNull(),
    expiresAt: doublePrecision(),
    revokedAt: doublePrecision(),
  },
  (t) => [uniqueIndex('api_keys_by_prefix').on(t.prefix)],
);

/** People who sign in to the console. Passwords are stored as scrypt hashes only. */
export const users = pgTable(
  'users',
  {
    ...documentColumns(),
    username: text().notNull(),
    displayName: text().notNull(),
    role: text({ enum: ROLES }).notNull(),
    /** The campaigns a supervisor or viewer sees (admins see all). */
    campaignIds: jsonb().$type<string[]>().notNull(),
    passwordHash: text().notNull(),
    /** True for a one-time password: it must be changed before anything else. */
    mustChangePassword: boolean().notNull(),
    disabledAt: doublePrecision(),
    createdAt: doublePrecision().notNull(),
    updatedAt: doublePrecision().notNull(),
  },
  (t) => [uniqueIndex('users_by_username').on(t.username), oneOf('users', 'role', t.role, ROLES)],
);

/** Console sign-in sessions: the cookie carries a random token, the row only its SHA-256. */
export const sessions = pgTable(
  'sessions',
  {
    ...documentColumns(),
    tokenHash: text().notNull(),
    userId: uuid()
      .notNull()
      .references((): AnyPgColumn => users._id, { onDelete: 'cascade' }),
    createdAt: doublePrecision().notNull(),
    expiresAt: doublePrecision().notNull(),
    revokedAt: doublePrecision(),
  },
  (t) => [uniqueIndex('sessions_by_token').on(t.tokenHash), index('sessions_by_user').on(t.userId)],
);

/**
 * Token buckets shared by every process on the database: sign-in attempts per username and
 * password changes per user (auth/shared-rate-limiter.ts). The key is a SHA-256: what is typed
 * as a username may be a password in the wrong field. A full bucket carries no information,
 * and the retention sweeper deletes it.
 */
export const rateLimitBuckets = pgTable('rate_limit_buckets', {
  keyHash: text().primaryKey(),
  tokens: doublePrecision().notNull(),
  /** Whether the last attempt got a token (an upsert can return only the row). */
  granted: boolean().notNull(),
  updatedAt: doublePrecision().notNull(),
});

/** Append-only (a trigger refuses UPDATE and DELETE): who did what, never what was said. */
export const auditLog = pgTable(
  'audit_log',
  {
    ...documentColumns(),
    at: doublePrecision().notNull(),
    event: text({ enum: AUDIT_EVENTS }).notNull(),
    actorKind: text().notNull(),
    actorId: text(),
    actorName: text(),
    target: text(),
    detail: jsonb().$type<Record<string, unknown>>(),
    ip: text(),
  },
  (t) => [
    index('audit_log_by_at').on(t.at),
    index('audit_log_by_event').on(t.event, t.at),
    oneOf('audit_log', 'event', t.event, AUDIT_EVENTS),
  ],
);

// ---- Permanent records, kept after the live rows expire.

/**
 * Notes, bookmarks and flags, kept after the call's live rows expire so they can be found
 * again. The `_id` is the supervisorActions row's; the campaign scopes who may read it.
 */
export const callAnnotations = pgTable(
  'call_annotations',
  {
    ...documentColumns(),
    callId: text().notNull(),
    campaignId: uuid(),
    action: text({ enum: ANNOTATION_ACTIONS }).notNull(),
    details: text(),
    supervisorId: text().notNull(),
    supervisorName: text().notNull(),
    timestamp: text().notNull(),
    createdAt: doublePrecision().notNull(),
  },
  (t) => [
    index('call_annotations_by_call').on(t.callId, t.createdAt),
    index('call_annotations_by_action').on(t.action, t.createdAt),
    oneOf('call_annotations', 'action', t.action, ANNOTATION_ACTIONS),
  ],
);

export const callAnalytics = pgTable(
  'call_analytics',
  {
    ...documentColumns(),
    callId: text().notNull(),
    liveCallId: uuid().notNull(),
    agentName: text().notNull(),
    campaignId: uuid().references((): AnyPgColumn => campaigns._id, { onDelete: 'set null' }),
    campaignName: text().notNull(),
    startTime: text().notNull(),
    endedAt: text().notNull(),
    endReason: text({ enum: END_REASONS }).notNull(),
    durationSeconds: doublePrecision().notNull(),
    agentTalkPercentage: doublePrecision().notNull(),
    positivePercentage: doublePrecision().notNull(),
    neutralPercentage: doublePrecision().notNull(),
    negativePercentage: doublePrecision().notNull(),
    sentimentTrend: text({ enum: SENTIMENT_TRENDS }).notNull(),
    phases: jsonb().$type<CallAnalyticsFields['phases']>().notNull(),
    metricAverages: jsonb().$type<NonNullable<CallAnalyticsFields['metricAverages']>>(),
    conversionProbability: doublePrecision(),
    demoAcceptanceProbability: doublePrecision(),
    immediateCloseProbability: doublePrecision(),
    objectivesCompleted: integer().notNull(),
    objectivesTotal: integer().notNull(),
    supervisorActionCounts: jsonb()
      .$type<CallAnalyticsFields['supervisorActionCounts']>()
      .notNull(),
    transcriptChunks: integer().notNull(),
    redactions: jsonb().$type<NonNullable<CallAnalyticsFields['redactions']>>(),
    totalCost: doublePrecision().notNull(),
    createdAt: doublePrecision().notNull(),
  },
  (t) => [
    // One roll-up per live call document. A callId may come back once the first call's live
    // rows have expired (another call, docs/api.md), so it alone identifies no roll-up.
    uniqueIndex('call_analytics_by_live_call').on(t.liveCallId),
    index('call_analytics_by_call_id').on(t.callId, t.endedAt),
    index('call_analytics_by_agent').on(t.agentName, t.endedAt),
    index('call_analytics_by_campaign').on(t.campaignId, t.endedAt),
    index('call_analytics_by_ended_at').on(t.endedAt),
    oneOf('call_analytics', 'endReason', t.endReason, END_REASONS),
    oneOf('call_analytics', 'sentimentTrend', t.sentimentTrend, SENTIMENT_TRENDS),
    nonNegative('call_analytics', 'durationSeconds', t.durationSeconds),
    nonNegative('call_analytics', 'totalCost', t.totalCost),
    nonNegative('call_analytics', 'objectivesCompleted', t.objectivesCompleted),
    nonNegative('call_analytics', 'objectivesTotal', t.objectivesTotal),
    nonNegative('call_analytics', 'transcriptChunks', t.transcriptChunks),
    ...(
      [
        'agentTalkPercentage',
        'positivePercentage',
        'neutralPercentage',
        'negativePercentage',
        'conversionProbability',
        'demoAcceptanceProbability',
        'immediateCloseProbability',
      ] as const
    ).map((field) => between('call_analytics', field, t[field], 0, 100)),
  ],
);

export const transcriptArchive = pgTable(
  'transcript_archive',
  {
    ...documentColumns(),
    callAnalyticsId: uuid()
      .notNull()
      .references((): AnyPgColumn => callAnalytics._id, { onDelete: 'cascade' }),
    callId: text().notNull(),
    order: doublePrecision().notNull(),
    timestamp: text().notNull(),
    speaker: text({ enum: SPEAKERS }).notNull(),
    text: text().notNull(),
    sentiment: text({ enum: SENTIMENTS }),
    confidence: doublePrecision(),
    createdAt: doublePrecision().notNull(),
  },
  (t) => [
    index('transcript_archive_by_call').on(t.callAnalyticsId, t.order),
    index('transcript_archive_by_call_id').on(t.callId, t.order),
    oneOf('transcript_archive', 'speaker', t.speaker, SPEAKERS),
    oneOf('transcript_archive', 'sentiment', t.sentiment, SENTIMENTS),
    between('transcript_archive', 'confidence', t.confidence, 0, 1),
  ],
);

// Relations let one relational query read a whole call (all ten tables) in one statement.
// The relation names are the seed's table names, so the result is keyed like the seed.
export const liveCallsRelations = relations(liveCalls, ({ many, one }) => ({
  campaign: one(campaigns, { fields: [liveCalls.campaignId], references: [campaigns._id] }),
  liveTranscripts: many(liveTranscripts),
  callObjectives: many(callObjectives),
  nextActions: many(nextActions),
  livePerformanceMetrics: many(livePerformanceMetrics),
  supervisorActions: many(supervisorActions),
  coachingRecommendations: many(coachingRecommendations),
  callPhases: many(callPhases),
  callSystemConfig: many(callSystemConfig),
  sentimentAnalysis: many(sentimentAnalysis),
  callEvents: many(callEvents),
}));

function belongsToCall<T extends { liveCallId: AnyPgColumn }>(
  table: Parameters<typeof relations>[0] & T,
) {
  return relations(table, ({ one }) => ({
    liveCall: one(liveCalls, { fields: [table.liveCallId], references: [liveCalls._id] }),
  }));
}

export const liveTranscriptsRelations = belongsToCall(liveTranscripts);
export const callObjectivesRelations = belongsToCall(callObjectives);
export const nextActionsRelations = belongsToCall(nextActions);
export const livePerformanceMetricsRelations = belongsToCall(livePerformanceMetrics);
export const supervisorActionsRelations = belongsToCall(supervisorActions);
export const coachingRecommendationsRelations = belongsToCall(coachingRecommendations);
export const callPhasesRelations = belongsToCall(callPhases);
export const callSystemConfigRelations = belongsToCall(callSystemConfig);
export const sentimentAnalysisRelations = belongsToCall(sentimentAnalysis);
export const callEventsRelations = belongsToCall(callEvents);
