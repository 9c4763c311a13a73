// The voice pipeline's way in: starting a call, batches of events, ending a call.
// The same event shapes travel over HTTP (POST .../events) and the streaming WebSocket.
import { z } from 'zod';
import { callClock, documentId, isoTimestamp, percent } from './documents.ts';
import {
  CALL_STATUSES,
  COACHING_TYPES,
  END_REASONS,
  LLM_STATUSES,
  NEXT_ACTION_PRIORITIES,
  OBJECTIVE_STATUSES,
  SIP_STATUSES,
  SPEAKERS,
  STT_STATUSES,
  TTS_STATUSES,
} from './literals.ts';

/** Limits answered with 400 naming the field (the body size limit answers 413). */
export const INGEST_LIMITS = {
  eventsPerBatch: 500,
  transcriptTextLength: 4_000,
  shortTextLength: 500,
  longTextLength: 2_000,
} as const;

const shortText = z.string().trim().min(1).max(INGEST_LIMITS.shortTextLength);
const longText = z.string().trim().min(1).max(INGEST_LIMITS.longTextLength);

/** Statuses a call can be started in. */
export const INITIAL_STATUSES = ['connecting', 'ringing', 'connected'] as const;
/** Statuses a status event may move a call to; "ended" is reached only by ending the call. */
export const LIVE_STATUSES = CALL_STATUSES.filter((s) => s !== 'ended') as [
  Exclude<(typeof CALL_STATUSES)[number], 'ended'>,
  ...Exclude<(typeof CALL_STATUSES)[number], 'ended'>[],
];
/** Reasons a pipeline may give; "stale" is the sweeper's alone. */
export const PIPELINE_END_REASONS = END_REASONS.filter((r) => r !== 'stale') as [
  Exclude<(typeof END_REASONS)[number], 'stale'>,
  ...Exclude<(typeof END_REASONS)[number], 'stale'>[],
];

/** POST /api/v1/calls */
export const startCallRequest = z
  .strictObject({
    callId: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[\w.:@-]+$/, 'Letters, digits and . _ : @ - only'),
    agentName: shortText,
    customerName: shortText,
    customerPhone: z.string().trim().min(1).max(50),
    /** The campaign, by id or by name (one of the two). */
    campaignId: documentId.optional(),
    campaignName: shortText.optional(),
    sessionId: shortText,
    sipEndpoint: shortText.optional(),
    startTime: isoTimestamp,
    isRecording: z.boolean().default(false),
    status: z.enum(INITIAL_STATUSES).default('connecting'),
  })
  .refine((body) => body.campaignId !== undefined || body.campaignName !== undefined, {
    message: 'Give campaignId or campaignName',
    path: ['campaignName'],
  });
export type StartCallRequest = z.output<typeof startCallRequest>;

/** Every event carries the call's sequence number: unique per call, starting at 1. */
const seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const transcriptEvent = z.strictObject({
  type: z.literal('transcript'),
  seq,
  /** Results for one utterance share a segmentId: interims, then a final that replaces them. */
  segmentId: z.string().min(1).max(200),
  speaker: z.enum(SPEAKERS),
  text: z.string().max(INGEST_LIMITS.transcriptTextLength),
  isFinal: z.boolean(),
  confidence: z.number().min(0).max(1).optional(),
  /** Time in the call when the utterance began, e.g. "2:15". */
  timestamp: callClock,
});

export const audioEvent = z.strictObject({
  type: z.literal('audio'),
  seq,
  agentGain: percent,
  customerGain: percent,
  /** Absent or null: nobody is speaking. */
  currentSpeaker: z.enum(SPEAKERS).nullable().optional(),
});

export const statusEvent = z.strictObject({
  type: z.literal('status'),
  seq,
  status: z.enum(LIVE_STATUSES),
});

export const recordingEvent = z.strictObject({
  type: z.literal('recording'),
  seq,
  isRecording: z.boolean(),
});

/**
 * Secure pause: while active (a customer reads out payment details to an IVR, say), the call's
 * transcript events are accepted and not kept at all, not even redacted.
 */
export const securePauseEvent = z.strictObject({
  type: z.literal('secure_pause'),
  seq,
  active: z.boolean(),
});

export const phaseEvent = z.strictObject({
  type: z.literal('phase'),
  seq,
  /** The phase the call has entered, by its script name; a name not in the script is added. */
  phase: shortText,
});

export const objectiveEvent = z.strictObject({
  type: z.literal('objective'),
  seq,
  /** The objective's text as in the script; an objective not in the script is added. */
  objective: shortText,
  status: z.enum(OBJECTIVE_STATUSES),
});

export const healthEvent = z.strictObject({
  type: z.literal('health'),
  seq,
  providers: z.strictObject({ sip: shortText, stt: shortText, llm: shortText, tts: shortText }),
  services: z.strictObject({
    sip: z.enum(SIP_STATUSES),
    stt: z.enum(STT_STATUSES),
    llm: z.enum(LLM_STATUSES),
    tts: z.enum(TTS_STATUSES),
  }),
  apiLatency: z.number().nonnegative().max(600_000),
  errorRate: percent,
  queueDepth: z.number().int().nonnegative(),
  /** Cost per minute from now on; totalCost accrues from it over elapsed call time. */
  costPerMinute: z.number().nonnegative().max(1_000),
});

export const nextActionEvent = z.strictObject({
  type: z.literal('next_action'),
  seq,
  action: shortText,
  priority: z.enum(NEXT_ACTION_PRIORITIES),
  reason: longText,
});

export const coachingEvent = z.strictObject({
  type: z.literal('coaching'),
  seq,
  coachingType: z.enum(COACHING_TYPES),
  title: shortText,
  description: longText,
  priority: z.number().int().min(1).max(10),
});

export const ingestEvent = z.discriminatedUnion('type', [
  transcriptEvent,
  audioEvent,
  statusEvent,
  recordingEvent,
  securePauseEvent,
  phaseEvent,
  objectiveEvent,
  healthEvent,
  nextActionEvent,
  coachingEvent,
]);
export type IngestEvent = z.output<typeof ingestEvent>;
export type IngestEventType = IngestEvent['type'];
export type TranscriptEvent = z.output<typeof transcriptEvent>;
export type HealthEvent = z.output<typeof healthEvent>;

/** POST /api/v1/calls/:callId/events */
export const eventBatchRequest = z.strictObject({
  events: z.array(ingestEvent).min(1).max(INGEST_LIMITS.eventsPerBatch),
});
export type EventBatchRequest = z.output<typeof eventBatchRequest>;

/** POST /api/v1/calls/:callId/end */
export const endCallRequest = z.strictObject({
  reason: z.enum(PIPELINE_END_REASONS),
});
export type EndCallRequest = z.output<typeof endCallRequest>;

/** The answer to an acknowledged batch: every event in it is committed. */
export const eventBatchResponse = z.strictObject({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  lastSeq: z.number().int(),
});
export type EventBatchResponse = z.output<typeof eventBatchResponse>;
