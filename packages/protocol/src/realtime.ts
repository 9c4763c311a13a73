// The supervisor WebSocket protocol (GET /api/v1/realtime). Every frame in either direction is
// one JSON object parsed against one of the two unions below; docs/api.md describes it.
import { z } from 'zod';
import { CALL_STATUSES, type CallStatus, type SentimentTrend } from './literals.ts';
import { problemSchema } from './errors.ts';

/** Close codes the server uses, beyond the standard ones. */
export const CLOSE_CODES = {
  /** A frame was not valid JSON or not a valid client message. */
  malformedFrame: 4400,
  /** No valid credentials within the time allowed, or they expired. */
  unauthenticated: 4401,
  /** The connection could not keep up: its send queue overflowed. */
  slowConsumer: 4408,
  /** The server is shutting down; reconnect elsewhere or later. */
  goingAway: 1001,
} as const;

export const wallboardFilter = z.strictObject({
  status: z.array(z.enum(CALL_STATUSES)).min(1).optional(),
  campaignId: z.uuid().optional(),
  agentName: z.string().min(1).max(500).optional(),
});
export type WallboardFilter = z.infer<typeof wallboardFilter>;

export const topic = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('wallboard'), filter: wallboardFilter.optional() }),
  z.strictObject({ kind: z.literal('call'), callId: z.string().min(1).max(200) }),
]);
export type Topic = z.infer<typeof topic>;

const subscriptionId = z.string().min(1).max(64);

// ---- client → server

export const clientMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hello'),
    /** A credential, for clients that cannot send an Authorization header (browsers). */
    token: z.string().min(1).max(500),
  }),
  z.strictObject({
    type: z.literal('subscribe'),
    id: subscriptionId,
    topic,
    /** The last version this client applied; the server sends what came after, or resyncs. */
    resumeFrom: z.number().int().nonnegative().optional(),
  }),
  z.strictObject({ type: z.literal('unsubscribe'), id: subscriptionId }),
  z.strictObject({ type: z.literal('ping'), at: z.number().optional() }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

// ---- server → client

/**
 * One changed document of a call: the whole new version (`doc`, replacing the row with its
 * `_id`), or only the fields that changed (`id`, `set`, `unset`) of a row the subscriber
 * already holds. The call's own row changes with every event, mostly in a few fields (audio
 * levels, speaker, duration), so it travels as a patch after the first time.
 */
export const callChange = z.union([
  z.strictObject({
    table: z.string(),
    doc: z.record(z.string(), z.unknown()),
  }),
  z.strictObject({
    table: z.string(),
    id: z.string(),
    set: z.record(z.string(), z.unknown()),
    /** Fields the row no longer has. */
    unset: z.array(z.string()).optional(),
  }),
]);
export type CallChange = z.infer<typeof callChange>;
export type CallPatch = Extract<CallChange, { set: unknown }>;

/**
 * A wallboard row entered or changed (upsert, the whole row), changed in a few fields (patch,
 * of a row the subscriber holds), or left this subscriber's view (remove). Most changes of a
 * row touch one or two fields (the speaker, the sentiment), so a row the subscriber already
 * holds travels as a patch.
 */
export const wallboardChange = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('upsert'), entry: z.record(z.string(), z.unknown()) }),
  z.strictObject({
    op: z.literal('patch'),
    callId: z.string(),
    set: z.record(z.string(), z.unknown()),
    /** Fields the row no longer has. */
    unset: z.array(z.string()).optional(),
  }),
  z.strictObject({
    op: z.literal('remove'),
    callId: z.string(),
    /** The call's campaign, so each subscriber's campaign scope applies to removals too. */
    campaignId: z.string().optional(),
  }),
]);
export type WallboardChange = z.infer<typeof wallboardChange>;
export type WallboardPatch = Extract<WallboardChange, { op: 'patch' }>;

export const serverMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), heartbeatMs: z.number() }),
  z.strictObject({
    type: z.literal('snapshot'),
    id: subscriptionId,
    version: z.number().int().nonnegative(),
    data: z.unknown(),
  }),
  z.strictObject({
    type: z.literal('delta'),
    id: subscriptionId,
    /** The first version this frame covers; the previous frame ended at fromVersion − 1. */
    fromVersion: z.number().int().positive(),
    version: z.number().int().positive(),
    changes: z.array(z.unknown()),
  }),
  z.strictObject({
    type: z.literal('resync'),
    id: subscriptionId,
    reason: z.string(),
  }),
  z.strictObject({ type: z.literal('unsubscribed'), id: subscriptionId }),
  /** Who is watching a call, sent to its subscribers whenever that changes (presence). */
  z.strictObject({
    type: z.literal('presence'),
    id: subscriptionId,
    watchers: z.array(z.strictObject({ id: z.string(), name: z.string() })),
  }),
  z.strictObject({ type: z.literal('pong'), at: z.number().optional() }),
  z.strictObject({ type: z.literal('heartbeat'), at: z.number() }),
  z.strictObject({
    type: z.literal('error'),
    id: subscriptionId.optional(),
    problem: problemSchema,
  }),
]);
export type ServerMessage = z.infer<typeof serverMessage>;

/** A wallboard row: what the board shows of one call (built by the engine's wallboardEntry). */
export interface WallboardEntry {
  callId: string;
  liveCallId: string;
  agentName: string;
  customerName: string;
  /** All but the last four digits replaced by •. */
  customerPhone: string;
  campaignId?: string;
  campaignName: string;
  status: CallStatus;
  startTime: string;
  currentPhase: string;
  currentSpeaker?: 'agent' | 'customer';
  isRecording: boolean;
  sentiment?: { positive: number; neutral: number; negative: number; trend: SentimentTrend };
  conversionProbability?: number;
  /** True while any pipeline service reports an error. */
  pipelineError: boolean;
  endedAt?: string;
  endReason?: string;
}
