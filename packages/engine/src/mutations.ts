// What the engine asks the store to write: whole documents, upserted by `_id`. The server's
// write-behind coalesces them (last write of a document wins) and commits them in batches.
import type {
  Annotation,
  CallAnalytics,
  CallObjective,
  CallPhase,
  CallSystemConfig,
  CoachingRecommendation,
  LiveCall,
  LivePerformanceMetrics,
  LiveTranscript,
  NextAction,
  RedactionPolicy,
  SentimentAnalysis,
  SupervisorAction,
  TranscriptArchive,
} from '@earshot/protocol';
import { CALL_TABLES } from '@earshot/protocol';

/**
 * One accepted event of a call, kept so replays are recognised after a restart. Identified by
 * (liveCallId, seq), not by an `_id`: written once per event, never changed.
 */
export interface CallEventRecord {
  liveCallId: string;
  seq: number;
  type: string;
  hash: string;
  receivedAt: number;
}

/** An action waiting for (or past) its delivery to the voice platform: the outbox row. */
export interface OutboxRecord {
  _id: string;
  _creationTime: number;
  liveCallId: string;
  callId: string;
  actionId: string;
  /** The action's order on its call: the dispatcher sends a call's actions in this order. */
  actionOrder: number;
  payload: Record<string, unknown>;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
}

/**
 * The redaction policy a call started with, kept with the call: a restart reads it back, so a
 * call keeps its policy even if its campaign's changes meanwhile.
 */
export interface CallPolicyRecord {
  liveCallId: string;
  policy: RedactionPolicy;
}

/** A note, bookmark or flag kept after the live rows expire (its `_id` is the action's). */
export type AnnotationRecord = Omit<Annotation, 'id'> & { _id: string; _creationTime: number };

/**
 * An audit log entry written in the same commit as the change it records (a supervisor's
 * action), so that both land or neither does. The server makes it; the engine never does.
 */
export interface AuditRecord {
  _id: string;
  _creationTime: number;
  at: number;
  event: string;
  actorKind: string;
  actorId?: string;
  actorName?: string;
  target?: string;
  detail?: Record<string, unknown>;
  ip?: string;
}

export interface WritableDocuments {
  liveCalls: LiveCall;
  liveTranscripts: LiveTranscript;
  callObjectives: CallObjective;
  nextActions: NextAction;
  livePerformanceMetrics: LivePerformanceMetrics;
  supervisorActions: SupervisorAction;
  coachingRecommendations: CoachingRecommendation;
  callPhases: CallPhase;
  callSystemConfig: CallSystemConfig;
  sentimentAnalysis: SentimentAnalysis;
  callAnalytics: CallAnalytics;
  transcriptArchive: TranscriptArchive;
  callEvents: CallEventRecord;
  callRedactionPolicies: CallPolicyRecord;
  outbox: OutboxRecord;
  callAnnotations: AnnotationRecord;
  auditLog: AuditRecord;
}
export type WritableTable = keyof WritableDocuments;

export type Mutation = {
  [T in WritableTable]: { table: T; doc: WritableDocuments[T] };
}[WritableTable];

/** The seed's ten tables of a live call: what subscribers see change. */
export const LIVE_CALL_TABLES = CALL_TABLES satisfies readonly WritableTable[];

/** Tables in the order a commit writes them, parents before children. */
export const WRITE_ORDER: readonly WritableTable[] = [
  ...LIVE_CALL_TABLES,
  'callRedactionPolicies',
  'outbox',
  'callAnnotations',
  'callEvents',
  'callAnalytics',
  'transcriptArchive',
  'auditLog',
];
